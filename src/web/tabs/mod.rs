//! What the evaluation page shows on its tabs, read for one user; the forms on them post to
//! their own modules (`web::scoring`, `web::self_assessment`), which render the page again.

pub mod scoring;
pub mod self_assessment;
