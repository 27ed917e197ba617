//! What the evaluation page shows on its tabs, read for one user; the forms on them post to
//! their own modules (`web::scoring`, `web::self_assessment`), which render the page again.

pub mod scoring;
pub mod self_assessment;
pub mod survey;

/// What every tab of the evaluation page is built with, besides its own data.
pub struct PageHead<'a> {
    pub view: &'a crate::app::evaluations::EvaluationView,
    pub access: &'a crate::domain::access::EvaluationAccess,
    pub scheme: &'a crate::domain::scheme::Scheme,
    pub zones: &'a [crate::domain::indicators::Zone],
}
