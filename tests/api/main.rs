//! Black-box tests through HTTP and the command line, every body on SQLite and on PostgreSQL.

mod helpers;

mod admin_pages;
mod attachments;
mod auth;
mod batches;
mod bench_scripts;
mod cli;
mod components;
mod concurrency;
mod crashes;
mod demo;
mod errors;
mod evaluations;
mod hardening;
mod hostile;
mod imports;
mod journey;
mod layers;
mod mail;
mod openapi;
mod operations;
mod organizations;
mod pages;
mod passwords;
mod programme;
mod reports;
mod schemes;
mod scoring;
mod self_assessment;
mod stations;
mod tenancy;
mod users;
mod workbooks;
mod workflow;
mod xicun;
