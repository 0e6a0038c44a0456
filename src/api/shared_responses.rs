//! The error responses many operations share, declared once under
//! `components.responses` and added, after the routes are collected, to every
//! operation whose declaration shows it can meet them, so that no operation
//! can miss one and no handler repeats them:
//!
//! | status | added where the operation | because |
//! |---|---|---|
//! | 400 | takes a body or a path parameter | [`super::extract`]: bad JSON syntax, an id that is not a UUID |
//! | 401, 403 | declares security | the rule of `SECURITY.md`, checked by the authorization matrix test |
//! | 413 | takes a body | the body limit ([`super::body_limit`]) |
//! | 422 | is any operation | [`super::extract`]: a wrong value; [`super::query_contract`]: an undeclared query name |
//! | 503 | reaches the database (all but [`NEVER_UNAVAILABLE`]) | a lost or slow database |
//! | `default` | is any operation | any other failure (500: a bug) |
//!
//! A handler declares only its success and the errors particular to it (a
//! 404, a 409, a 403 a node token meets). An operation's own error response
//! for a shared status keeps its description, with the shared reason added.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder};

/// The operations that never touch the database or anything that can time out.
const NEVER_UNAVAILABLE: &[&str] = &["get_health"];

/// A shared response: its status, its name under `components.responses`,
/// its description, and which operations meet it.
struct Shared {
    status: &'static str,
    name: &'static str,
    why: &'static str,
    applies: fn(&Operation) -> bool,
}

const SHARED: &[Shared] = &[
    Shared {
        status: "400",
        name: "BadRequest",
        why: "Malformed JSON, or a path segment that is not a UUID (or a device name).",
        applies: |op| op.request_body.is_some() || has_parameter(op, ParameterIn::Path),
    },
    Shared {
        status: "401",
        name: "Unauthorized",
        why: "No token, or a malformed, forged, revoked or retired one (a node token dies with its session).",
        applies: is_secured,
    },
    Shared {
        status: "403",
        name: "Forbidden",
        why: "A live token this operation does not take: a lesser operator role, a node token on an operator \
            route, an operator token on a node route, another session's or node's token.",
        applies: is_secured,
    },
    Shared {
        status: "413",
        name: "PayloadTooLarge",
        why: "The request body is larger than the configured limit (`PUREBOOT_MAX_BODY_BYTES`).",
        applies: |op| op.request_body.is_some(),
    },
    Shared {
        status: "422",
        name: "Invalid",
        why: "A field or query parameter has a wrong type or value, or the query holds a parameter this operation \
            does not declare; `fields` names it.",
        applies: |_| true,
    },
    Shared {
        status: "503",
        name: "ServiceUnavailable",
        why: "The database is unavailable, or did not answer within its time limits (statement, lock, connection \
            or request timeout); retry later. A command that timed out may or may not have taken effect.",
        applies: |op| !op.operation_id.as_deref().is_some_and(|id| NEVER_UNAVAILABLE.contains(&id)),
    },
    Shared {
        status: "default",
        name: "Error",
        why: "Any other failure, in the same error shape (500: a bug; the details are in the controller log).",
        applies: |_| true,
    },
];

/// Declares the shared responses and adds them to every operation they apply to.
pub fn declare(doc: &mut OpenApi) {
    let responses = &mut doc.components.get_or_insert_with(Default::default).responses;
    for shared in SHARED {
        responses.insert(shared.name.into(), RefOr::T(error_response(shared.why)));
    }
    for item in doc.paths.paths.values_mut() {
        let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for operation in operations.into_iter().flatten() {
            let applying: Vec<&Shared> = SHARED.iter().filter(|shared| (shared.applies)(operation)).collect();
            for shared in applying {
                add(operation, shared);
            }
        }
    }
}

fn is_secured(operation: &Operation) -> bool {
    operation.security.as_ref().is_some_and(|alternatives| !alternatives.is_empty())
}

fn has_parameter(operation: &Operation, place: ParameterIn) -> bool {
    operation.parameters.iter().flatten().any(|parameter| parameter.parameter_in == place)
}

/// A response whose body is the error shape.
fn error_response(description: &str) -> Response {
    let json = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorResponse"))).build();
    ResponseBuilder::new().description(description).content("application/json", json).build()
}

/// References `shared` from `operation`; an operation's own error response
/// for that status gets the shared reason appended.
fn add(operation: &mut Operation, shared: &Shared) {
    match operation.responses.responses.get_mut(shared.status) {
        Some(RefOr::T(own)) if is_error_body(own) => {
            own.description = format!("{}; or: {}", own.description, shared.why)
        }
        Some(_) => {}
        None => {
            let shared_ref = RefOr::Ref(Ref::from_response_name(shared.name));
            operation.responses.responses.insert(shared.status.into(), shared_ref);
        }
    }
}

/// Whether a response's body is the error shape (readiness answers its own).
fn is_error_body(response: &Response) -> bool {
    let schema = response.content.get("application/json").and_then(|c| c.schema.as_ref());
    matches!(schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/ErrorResponse"))
}
