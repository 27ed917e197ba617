//! The JSON API: one module per resource, registered in `routes`, the only place that adds a
//! route; every route is documented by the same registration (utoipa-actix-web).

pub mod admin;
pub mod attachments;
pub mod auth;
pub mod clients;
pub mod components;
pub mod doc;
pub mod error;
pub mod evaluations;
pub mod extract;
pub mod feedback;
pub mod health;
pub mod imports;
pub mod indicators;
pub mod me;
pub mod notifications;
pub mod organizations;
pub mod panel;
pub mod programme;
pub mod rectifications;
pub mod reports;
pub mod routing;
pub mod schemes;
pub mod score;
pub mod self_assessment;
pub mod staff;
pub mod stations;
pub mod users;
pub mod warnings;
pub mod workbooks;
pub mod workflow;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

/// Prefix of the JSON API.
pub const PREFIX: &str = "/api/v1";

/// The serialized OpenAPI document, served by GET /api/v1/openapi.json.
pub struct OpenApiJson(pub String);

#[derive(OpenApi)]
#[openapi(
    info(
        title = "pinggu 评估",
        description = "社工服务站评估系统 — evaluation of government-purchased social work service stations"
    ),
    modifiers(&BearerAuth),
    components(schemas(error::Problem, error::FieldError))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Every route of the service.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(
            scope(PREFIX)
                .service(health::openapi_json)
                .service(auth::login)
                .service(auth::refresh)
                .service(auth::logout)
                .service(me::get_me)
                .service(me::change_password)
                .service(organizations::create)
                .service(organizations::list)
                .service(organizations::get_one)
                .service(users::create)
                .service(users::list)
                .service(users::get_one)
                .service(users::update)
                .service(admin::list_login_attempts)
                .service(admin::list_outbox)
                .service(admin::requeue_outbox)
                .service(notifications::list)
                .service(notifications::mark_read)
                .service(schemes::list)
                .service(schemes::get_one)
                .service(schemes::create)
                .service(stations::create)
                .service(stations::list)
                .service(stations::get_one)
                .service(stations::create_agreement)
                .service(stations::get_agreement)
                .service(evaluations::create)
                .service(programme::summary_workbook)
                .service(programme::dashboard)
                .service(evaluations::list)
                .service(evaluations::of_station)
                .service(evaluations::change)
                .service(evaluations::create_batch)
                .service(evaluations::get_one)
                .service(workflow::transition)
                .service(workflow::timeline)
                .service(indicators::put_targets)
                .service(indicators::get_targets)
                .service(indicators::put_indicators)
                .service(indicators::get_indicators)
                .service(staff::put_staff)
                .service(staff::get_staff)
                .service(clients::put_clients)
                .service(clients::get_clients)
                .service(clients::draw_sample)
                .service(clients::put_response)
                .service(clients::get_survey)
                .service(self_assessment::put_self_assessment)
                .service(self_assessment::get_self_assessment)
                .service(warnings::get_warnings)
                .service(workbooks::get_indicators_xlsx)
                .service(workbooks::post_indicators_xlsx)
                .service(workbooks::get_staff_xlsx)
                .service(workbooks::get_clients_xlsx)
                .service(workbooks::post_clients_xlsx)
                .service(workbooks::post_staff_xlsx)
                .service(imports::get_template)
                .service(imports::import)
                .service(attachments::upload)
                .service(attachments::list)
                .service(attachments::download)
                .service(components::put_component)
                .service(components::get_component)
                .service(components::submit)
                .service(components::withdraw)
                .service(score::get_score)
                .service(panel::get_affiliations)
                .service(panel::put_affiliations)
                .service(panel::assign)
                .service(panel::list)
                .service(panel::get_sheet)
                .service(panel::put_sheet)
                .service(panel::submit_sheet)
                .service(reports::list)
                .service(reports::revise)
                .service(reports::get_html)
                .service(reports::get_docx)
                .service(reports::get_pdf)
                .service(reports::get_model)
                .service(reports::compare_versions)
                .service(reports::get_one)
                .service(feedback::give)
                .service(feedback::list)
                .service(feedback::answer)
                .service(rectifications::list)
                .service(rectifications::update)
                .service(rectifications::verify)
                .service(rectifications::change_due)
                .service(rectifications::upload_evidence)
                .service(workflow::extend),
        );
}
