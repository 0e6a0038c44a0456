//! The committed OpenAPI document matches the code.

#[test]
fn the_committed_openapi_document_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/openapi.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let generated = pureboot::api::openapi_json();
    assert!(
        committed.trim_end() == generated.trim_end(),
        "openapi/openapi.json is stale; regenerate it with: cargo run -q -- openapi > openapi/openapi.json"
    );
}

#[test]
fn every_operation_documents_its_errors() {
    let doc: serde_json::Value = serde_json::from_str(&pureboot::api::openapi_json()).expect("JSON");
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            let responses = operation["responses"].as_object().expect("responses");
            assert!(!responses.is_empty(), "{method} {path} documents no response");
            let mutates = method != "get" || path.contains('{');
            if mutates && !path.ends_with("/ws") {
                assert!(responses.keys().any(|code| code.starts_with('4')), "{method} {path} documents no 4xx");
            }
            assert!(operation["summary"].is_string() || operation["description"].is_string(), "{method} {path}");
        }
    }
}

#[test]
fn only_path_segments_are_documented_as_path_parameters() {
    let doc: serde_json::Value = serde_json::from_str(&pureboot::api::openapi_json()).expect("JSON");
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let name = parameter["name"].as_str().expect("name");
                let in_path = path.contains(&format!("{{{name}}}"));
                assert_eq!(
                    parameter["in"] == "path",
                    in_path,
                    "{method} {path}: parameter {name} is documented in {}",
                    parameter["in"]
                );
            }
        }
    }
}

fn document() -> serde_json::Value {
    serde_json::from_str(&pureboot::api::openapi_json()).expect("JSON")
}

/// A generator makes one class per schema: an envelope that copied its
/// payload would make a second class for the same object.
#[test]
fn envelopes_reference_their_payloads() {
    let doc = document();
    for (name, schema) in doc["components"]["schemas"].as_object().expect("schemas") {
        let (Some(_), Some(data)) = (schema["properties"].get("success"), schema["properties"].get("data")) else {
            continue;
        };
        let payload = data.get("items").unwrap_or(data);
        assert!(payload["$ref"].is_string(), "{name}.data copies its payload instead of referencing it: {payload}");
    }
}

#[test]
fn operation_ids_are_a_verb_then_what_it_acts_on() {
    const VERBS: &[&str] = &[
        "get", "list", "create", "update", "delete", "rotate", "report", "request", "poll", "queue", "remove", "apply",
        "sign", "complete", "fail", "stream", "analyze", "start",
    ];
    let doc = document();
    let mut seen = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            let id = operation["operationId"].as_str().unwrap_or_default();
            let (verb, noun) = id.split_once('_').unwrap_or_default();
            assert!(VERBS.contains(&verb) && !noun.is_empty(), "{method} {path}: operation id {id:?}");
            assert!(id.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{method} {path}: {id:?}");
            assert!(seen.insert(id.to_owned()), "{method} {path}: operation id {id:?} used twice");
        }
    }
}

/// Every operation documents the shared failures it can meet: a body over the
/// limit (413) where it takes one, a dead (401) or unfit (403) token where it
/// is secured, and any other failure (`default`).
#[test]
fn every_operation_documents_the_shared_failures() {
    let doc = document();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            let responses = &operation["responses"];
            assert!(responses.get("default").is_some(), "{method} {path}: no default response");
            if operation.get("requestBody").is_some() {
                assert!(responses.get("413").is_some(), "{method} {path} takes a body but documents no 413");
            }
            if operation["security"].is_array() {
                for status in ["401", "403"] {
                    assert!(responses.get(status).is_some(), "{method} {path} is secured but documents no {status}");
                }
            }
            assert!(
                operation["security"].is_array()
                    || path.ends_with("/health")
                    || path.ends_with("/ready")
                    || path.contains("/ca/"),
                "{method} {path} declares no security"
            );
        }
    }
}
