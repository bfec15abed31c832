//! `pinbench doctor`: check the host and print the fix for each missing piece.

use crate::doctor::{gather, render, Status};
use crate::exit;

pub fn main(json: bool) -> anyhow::Result<i32> {
    let checks = gather();
    if json {
        println!("{}", serde_json::to_string_pretty(&checks)?);
    } else {
        print!("{}", render(&checks));
    }
    let failed = checks.iter().filter(|c| c.status == Status::Fail).count();
    if failed > 0 {
        eprintln!(
            "doctor: {failed} problem(s) stop pinbench; each line marked FAIL says what to do"
        );
        Ok(exit::INFRA)
    } else {
        Ok(exit::OK)
    }
}
