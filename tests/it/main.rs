//! Integration tests, in one binary to keep link times down.

mod cli;
mod common;
mod fixtures;
mod never_panics;
mod replies;
