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
