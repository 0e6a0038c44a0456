//! The error responses many operations share, declared once under
//! `components.responses` and added to every operation that can meet them
//! after the routes are collected, so that no operation can miss one: a 503
//! on every operation that reaches the database, a 413 on every operation
//! that takes a body, and a `default` (any other failure) everywhere. An
//! operation's own response for a status keeps its body and description.

use utoipa::openapi::path::Operation;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder};

/// The operations that never touch the database or anything that can time out.
const NEVER_UNAVAILABLE: &[&str] = &["get_health"];

const UNAVAILABLE: &str = "ServiceUnavailable";
const UNAVAILABLE_WHY: &str = "The database is unavailable, or did not answer within its time limits (statement, \
    lock, connection or request timeout); retry later. A command that timed out may or may not have taken effect.";
const TOO_LARGE: &str = "PayloadTooLarge";
const TOO_LARGE_WHY: &str = "The request body is larger than the configured limit (`PUREBOOT_MAX_BODY_BYTES`).";
const OTHER: &str = "Error";
const OTHER_WHY: &str =
    "Any other failure, in the same error shape (500: a bug; the details are in the controller log).";

/// Declares the shared responses and adds them to every operation they apply to.
pub fn declare(doc: &mut OpenApi) {
    let responses = &mut doc.components.get_or_insert_with(Default::default).responses;
    for (name, why) in [(UNAVAILABLE, UNAVAILABLE_WHY), (TOO_LARGE, TOO_LARGE_WHY), (OTHER, OTHER_WHY)] {
        responses.insert(name.into(), RefOr::T(error_response(why)));
    }
    for item in doc.paths.paths.values_mut() {
        let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for operation in operations.into_iter().flatten() {
            if !operation.operation_id.as_deref().is_some_and(|id| NEVER_UNAVAILABLE.contains(&id)) {
                add(operation, "503", UNAVAILABLE, UNAVAILABLE_WHY);
            }
            if operation.request_body.is_some() {
                add(operation, "413", TOO_LARGE, TOO_LARGE_WHY);
            }
            add(operation, "default", OTHER, OTHER_WHY);
        }
    }
}

/// A response whose body is the error shape.
fn error_response(description: &str) -> Response {
    let json = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorResponse"))).build();
    ResponseBuilder::new().description(description).content("application/json", json).build()
}

/// References the shared response `name` from `operation` under `status`; an
/// operation's own error response there gets the shared reason appended.
fn add(operation: &mut Operation, status: &str, name: &str, why: &str) {
    match operation.responses.responses.get_mut(status) {
        Some(RefOr::T(own)) if is_error_body(own) => own.description = format!("{}; or: {why}", own.description),
        Some(_) => {}
        None => {
            operation.responses.responses.insert(status.into(), RefOr::Ref(Ref::from_response_name(name)));
        }
    }
}

/// Whether a response's body is the error shape (readiness answers its own).
fn is_error_body(response: &Response) -> bool {
    let schema = response.content.get("application/json").and_then(|c| c.schema.as_ref());
    matches!(schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/ErrorResponse"))
}
