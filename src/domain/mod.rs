//! Pure rules: no I/O, no framework types. Every rule of what may happen lives here once
//! (`access` for who may do what on an evaluation, `workflow` for which event leads where,
//! `scoring` for the arithmetic) and is asked by the application layer and the pages alike.

pub mod access;
pub mod components;
pub mod deadline;
pub mod evaluation;
pub mod evidence;
pub mod indicators;
pub mod next_step;
pub mod onboarding;
pub mod organization;
pub mod panel;
pub mod password_policy;
pub mod points;
pub mod programme;
pub mod rectification;
pub mod reminders;
pub mod scheme;
pub mod scoring;
pub mod staffing;
pub mod survey;
pub mod text;
pub mod throttle;
pub mod user;
pub mod warnings;
pub mod workflow;
