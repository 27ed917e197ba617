// One schema for both backends, in portable types only (DESIGN.md §6).

diesel::table! {
    organizations (id) {
        id -> BigInt,
        name -> Text,
        kind -> Text,
        district -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        full_name -> Text,
        city -> Nullable<Text>,
        report_prefix -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        organization_id -> BigInt,
        username -> Text,
        display_name -> Text,
        email -> Nullable<Text>,
        role -> Text,
        password_hash -> Text,
        must_change_password -> Bool,
        disabled -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> BigInt,
        created_at -> Timestamp,
        ip -> Text,
        revoked_at -> Nullable<Timestamp>,
        revoked_reason -> Nullable<Text>,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Text,
        session_id -> Text,
        issued_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_attempts (id) {
        id -> BigInt,
        username -> Text,
        user_id -> Nullable<BigInt>,
        ip -> Text,
        attempted_at -> Timestamp,
        outcome -> Text,
    }
}

diesel::table! {
    password_links (token_hash) {
        token_hash -> Text,
        user_id -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(users -> organizations (organization_id));
diesel::joinable!(password_links -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));

diesel::table! {
    schemes (code, version) {
        code -> Text,
        version -> BigInt,
        name -> Text,
        document -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    stations (id) {
        id -> BigInt,
        name -> Text,
        district -> Text,
        street -> Text,
        address -> Nullable<Text>,
        operator_org_id -> BigInt,
        purchaser_org_id -> BigInt,
        supervisor_org_id -> BigInt,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        operating_since -> Nullable<Date>,
    }
}

diesel::table! {
    zones (id) {
        id -> BigInt,
        station_id -> BigInt,
        name -> Text,
        position -> BigInt,
    }
}

diesel::table! {
    communities (id) {
        id -> BigInt,
        zone_id -> BigInt,
        name -> Text,
        position -> BigInt,
    }
}

diesel::table! {
    agreements (id) {
        id -> BigInt,
        station_id -> BigInt,
        period_start -> Date,
        period_end -> Date,
        funding_fen -> BigInt,
        required_staff -> BigInt,
        required_certified_staff -> BigInt,
        version -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::joinable!(zones -> stations (station_id));
diesel::joinable!(communities -> zones (zone_id));
diesel::joinable!(agreements -> stations (station_id));

diesel::table! {
    evaluations (id) {
        id -> BigInt,
        agreement_id -> BigInt,
        station_id -> BigInt,
        scheme_code -> Text,
        scheme_version -> BigInt,
        kind -> Text,
        assessment_start -> Date,
        assessment_end -> Date,
        assessment_months_hundredths -> Nullable<BigInt>,
        onsite_date -> Date,
        state -> Text,
        version -> BigInt,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        total_hundredths -> Nullable<BigInt>,
        grade_code -> Nullable<Text>,
        due_on -> Nullable<Date>,
        standing_version -> Integer,
        weak_indicators -> Text,
        figures -> Text,
    }
}

diesel::table! {
    evaluation_parties (evaluation_id, party_code) {
        evaluation_id -> BigInt,
        party_code -> Text,
        org_id -> BigInt,
    }
}

diesel::table! {
    evaluation_deadlines (evaluation_id, stage) {
        evaluation_id -> BigInt,
        stage -> Text,
        due_on -> Date,
    }
}

diesel::joinable!(evaluations -> stations (station_id));
diesel::joinable!(evaluation_parties -> evaluations (evaluation_id));
diesel::joinable!(evaluation_parties -> organizations (org_id));
diesel::joinable!(evaluation_deadlines -> evaluations (evaluation_id));

diesel::table! {
    targets (id) {
        id -> BigInt,
        evaluation_id -> BigInt,
        indicator -> Text,
        zone_id -> BigInt,
        target_hundredths -> BigInt,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        chain -> Text,
        seq -> BigInt,
        evaluation_id -> Nullable<BigInt>,
        actor_id -> Nullable<BigInt>,
        actor_org_id -> Nullable<BigInt>,
        action -> Text,
        entity -> Text,
        entity_id -> Text,
        from_state -> Nullable<Text>,
        to_state -> Nullable<Text>,
        summary -> Text,
        reason -> Nullable<Text>,
        request_id -> Nullable<Text>,
        at -> Timestamp,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        event -> Text,
        evaluation_id -> Nullable<BigInt>,
        audit_id -> Nullable<BigInt>,
        recipient_user_id -> BigInt,
        to_address -> Nullable<Text>,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        reply_to -> Nullable<Text>,
        message_id -> Text,
        status -> Text,
        attempts -> BigInt,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        dedupe_key -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        user_id -> BigInt,
        evaluation_id -> Nullable<BigInt>,
        event -> Text,
        title -> Text,
        body -> Text,
        dedupe_key -> Nullable<Text>,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    deadline_extensions (id) {
        id -> BigInt,
        evaluation_id -> BigInt,
        stage -> Text,
        party_code -> Nullable<Text>,
        old_date -> Date,
        new_date -> Date,
        reason -> Text,
        granted_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_heads (chain) {
        chain -> Text,
        seq -> BigInt,
    }
}

diesel::table! {
    completions (id) {
        id -> BigInt,
        evaluation_id -> BigInt,
        indicator -> Text,
        zone_id -> BigInt,
        completed_hundredths -> BigInt,
    }
}

diesel::table! {
    workers (id) {
        id -> BigInt,
        evaluation_id -> BigInt,
        line -> BigInt,
        name -> Text,
        position -> Text,
        qualification -> Text,
        over_two_years -> Bool,
        practice_start -> Nullable<Date>,
        zone_id -> Nullable<BigInt>,
        joined_on -> Nullable<Date>,
        left_on -> Nullable<Date>,
        note -> Nullable<Text>,
        contract_term -> Nullable<Text>,
    }
}

diesel::table! {
    worker_months (worker_id, month) {
        worker_id -> BigInt,
        month -> Text,
        on_post_hundredths -> BigInt,
        insurance -> Bool,
        wage -> Bool,
    }
}

diesel::table! {
    self_assessments (evaluation_id) {
        evaluation_id -> BigInt,
        narrative -> Text,
        updated_by -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    stated_totals (evaluation_id, indicator, figure) {
        evaluation_id -> BigInt,
        indicator -> Text,
        figure -> Text,
        total_hundredths -> BigInt,
    }
}

diesel::table! {
    attachments (id) {
        id -> BigInt,
        evaluation_id -> BigInt,
        filename -> Text,
        content_type -> Text,
        bytes -> BigInt,
        sha256 -> Text,
        storage_key -> Text,
        uploaded_by -> BigInt,
        created_at -> Timestamp,
        rectification_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    components (evaluation_id, party_code) {
        evaluation_id -> BigInt,
        party_code -> Text,
        raw_hundredths -> Nullable<BigInt>,
        gate_passed -> Nullable<Bool>,
        gate_reason -> Nullable<Text>,
        strengths -> Text,
        concerns -> Text,
        status -> Text,
        version -> BigInt,
        updated_by -> BigInt,
        updated_at -> Timestamp,
        submitted_at -> Nullable<Timestamp>,
        conclusion -> Nullable<Text>,
    }
}

diesel::table! {
    expert_affiliations (user_id, organization) {
        user_id -> BigInt,
        organization -> Text,
    }
}

diesel::table! {
    panel (evaluation_id, expert_id) {
        evaluation_id -> BigInt,
        expert_id -> BigInt,
        assigned_by -> BigInt,
        override_reason -> Nullable<Text>,
        assigned_at -> Timestamp,
        conflict_of_interest -> Nullable<Bool>,
        sheet_status -> Text,
        sheet_version -> BigInt,
        submitted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    expert_scores (evaluation_id, expert_id, item) {
        evaluation_id -> BigInt,
        expert_id -> BigInt,
        item -> Text,
        score_hundredths -> BigInt,
    }
}

diesel::table! {
    reports (id) {
        id -> BigInt,
        evaluation_id -> BigInt,
        version -> BigInt,
        kind -> Text,
        model -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        number -> Nullable<Text>,
    }
}

diesel::table! {
    clients (id) {
        id -> BigInt,
        evaluation_id -> BigInt,
        line -> BigInt,
        client_key -> Nullable<Text>,
        draw_key -> Text,
        name -> Text,
        phone -> Text,
        community -> Text,
        service -> Text,
        first_served -> Nullable<Date>,
    }
}

diesel::table! {
    survey_draws (id) {
        id -> BigInt,
        evaluation_id -> BigInt,
        seed -> Text,
        size -> BigInt,
        list_digest -> Text,
        client_ids -> Text,
        reason -> Nullable<Text>,
        drawn_by -> Nullable<BigInt>,
        drawn_at -> Timestamp,
    }
}

diesel::table! {
    survey_calls (id) {
        id -> BigInt,
        evaluation_id -> BigInt,
        client_id -> BigInt,
        reached -> Bool,
        unreached_reason -> Nullable<Text>,
        answers -> Text,
        called_by -> BigInt,
        called_at -> Timestamp,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    report_numbers (agency_org_id, year) {
        agency_org_id -> BigInt,
        year -> Integer,
        last_sequence -> BigInt,
    }
}

diesel::table! {
    report_files (report_id, format) {
        report_id -> BigInt,
        format -> Text,
        sha256 -> Text,
        bytes -> BigInt,
        content -> Binary,
    }
}

diesel::table! {
    feedback (id) {
        id -> BigInt,
        evaluation_id -> BigInt,
        report_id -> BigInt,
        party_code -> Text,
        org_id -> BigInt,
        no_objection -> Bool,
        remarks -> Nullable<Text>,
        deemed -> Bool,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    objections (id) {
        id -> BigInt,
        feedback_id -> BigInt,
        evaluation_id -> BigInt,
        section -> Nullable<Text>,
        text -> Text,
        decision -> Nullable<Text>,
        reply -> Nullable<Text>,
        answered_by -> Nullable<BigInt>,
        answered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    rectifications (id) {
        id -> BigInt,
        station_id -> BigInt,
        evaluation_id -> BigInt,
        party_code -> Text,
        section -> Nullable<Text>,
        zone_id -> Nullable<BigInt>,
        text -> Text,
        status -> Text,
        action_taken -> Nullable<Text>,
        updated_by -> Nullable<BigInt>,
        updated_at -> Timestamp,
        version -> BigInt,
        due_on -> Date,
        due_set_on -> Date,
        verified_by -> Nullable<BigInt>,
        verified_at -> Nullable<Timestamp>,
        verified_on -> Nullable<Date>,
    }
}

diesel::table! {
    rectification_events (id) {
        id -> BigInt,
        rectification_id -> BigInt,
        action -> Text,
        status -> Text,
        note -> Nullable<Text>,
        actor_id -> Nullable<BigInt>,
        at -> Timestamp,
    }
}

diesel::joinable!(report_files -> reports (report_id));
diesel::joinable!(feedback -> reports (report_id));
diesel::joinable!(objections -> feedback (feedback_id));
diesel::joinable!(worker_months -> workers (worker_id));
diesel::joinable!(panel -> evaluations (evaluation_id));

diesel::table! {
    file_chunks (storage_key, seq) {
        storage_key -> Text,
        seq -> Integer,
        content -> Binary,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    users,
    sessions,
    refresh_tokens,
    password_links,
    login_attempts,
    schemes,
    stations,
    zones,
    communities,
    agreements,
    evaluations,
    evaluation_parties,
    evaluation_deadlines,
    targets,
    audit_log,
    outbox,
    notifications,
    deadline_extensions,
    audit_heads,
    completions,
    workers,
    worker_months,
    self_assessments,
    stated_totals,
    attachments,
    components,
    expert_affiliations,
    panel,
    expert_scores,
    reports,
    report_files,
    feedback,
    objections,
    rectifications
);
