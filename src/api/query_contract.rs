//! Query parameters the OpenAPI document does not declare are refused.
//!
//! serde ignores fields it does not know, so a misspelt filter (`stauts=`)
//! or one that moved (`/reports/clones?format=csv`, now
//! `/reports/clones.csv`) used to answer as if it were absent: a full list,
//! JSON instead of CSV, and no sign of the mistake. The document generated
//! from the handlers already lists every operation's query parameters (and
//! the query token of the `bearer_query` security scheme), so it is the one
//! source of the names each route takes; this middleware answers 422 naming
//! the first other one.
//!
//! Only names are checked here, before authentication: the document is
//! public, so the refusal tells nothing. Values are read by the handler's
//! extractors after the caller is authenticated.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use axum::extract::{MatchedPath, Query, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::extract::refuse_nul;
use crate::error::ApiError;

/// Longest parameter name echoed back in a refusal (characters).
const ECHOED_NAME_CHARS: usize = 64;

/// The query parameter names of every operation, by route template as axum
/// matches it (e.g. `/api/v1/clone-sessions/{id}`), then method.
#[derive(Debug, Default)]
pub struct QueryContract {
    routes: HashMap<String, HashMap<Method, BTreeSet<String>>>,
}

impl QueryContract {
    /// Reads the names from the OpenAPI document: each operation's `in: query`
    /// parameters, plus the query name of any `apiKey`-in-query security
    /// scheme the operation accepts.
    pub fn from_document(document: &utoipa::openapi::OpenApi) -> Self {
        let document = serde_json::to_value(document).unwrap_or_default();
        let schemes = &document["components"]["securitySchemes"];
        let mut routes: HashMap<String, HashMap<Method, BTreeSet<String>>> = HashMap::new();
        for (path, item) in document["paths"].as_object().into_iter().flatten() {
            for (method, operation) in item.as_object().into_iter().flatten() {
                let Ok(method) = method.to_uppercase().parse::<Method>() else { continue };
                let declared = operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|parameter| parameter["in"] == "query")
                    .filter_map(|parameter| parameter["name"].as_str());
                let by_scheme = operation["security"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_object)
                    .flat_map(|requirement| requirement.keys())
                    .map(|scheme| &schemes[scheme])
                    .filter(|scheme| scheme["type"] == "apiKey" && scheme["in"] == "query")
                    .filter_map(|scheme| scheme["name"].as_str());
                let names = declared.chain(by_scheme).map(str::to_owned).collect();
                routes.entry(path.clone()).or_default().insert(method, names);
            }
        }
        Self { routes }
    }

    /// The names `route` takes for `method` (HEAD as GET), when documented.
    fn names(&self, method: &Method, route: &str) -> Option<&BTreeSet<String>> {
        let method = if method == Method::HEAD { &Method::GET } else { method };
        self.routes.get(route)?.get(method)
    }
}

/// Middleware (a route layer, so the route is known): 422 naming the first
/// query parameter the operation does not declare. Routes the document does
/// not describe, and queries that do not parse (the extractor's 422 says
/// why), pass through.
pub async fn refuse_undeclared(State(contract): State<Arc<QueryContract>>, request: Request, next: Next) -> Response {
    // Most requests (every progress report) carry no query: nothing to check.
    if request.uri().query().is_none_or(str::is_empty) {
        return next.run(request).await;
    }
    let route = request.extensions().get::<MatchedPath>().map(MatchedPath::as_str);
    let names = route.and_then(|route| contract.names(request.method(), route));
    if let (Some(names), Ok(Query(pairs))) = (names, Query::<Vec<(String, String)>>::try_from_uri(request.uri()))
        && let Some((name, _)) = pairs.iter().find(|(name, _)| !names.contains(name))
    {
        if let Err(refused) = refuse_nul("query", name) {
            return refused.into_response();
        }
        let name: String = name.chars().take(ECHOED_NAME_CHARS).collect();
        return ApiError::invalid(&name, undeclared_message(names)).into_response();
    }
    next.run(request).await
}

fn undeclared_message(names: &BTreeSet<String>) -> String {
    if names.is_empty() {
        "not a query parameter of this operation, which takes none".to_owned()
    } else {
        let list: Vec<&str> = names.iter().map(String::as_str).collect();
        format!("not a query parameter of this operation, which takes: {}", list.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_has_each_operations_declared_names_and_the_websockets_query_token() {
        let (_, document) = crate::api::router().split_for_parts();
        let contract = QueryContract::from_document(&document);
        let names = |method: Method, route: &str| {
            contract.names(&method, route).map(|names| names.iter().cloned().collect::<Vec<_>>())
        };
        assert_eq!(names(Method::GET, "/api/v1/reports/clones").expect("documented"), ["from", "group_by", "to"]);
        assert_eq!(names(Method::HEAD, "/api/v1/nodes").expect("documented"), ["limit", "offset"]);
        assert_eq!(names(Method::POST, "/api/v1/nodes").expect("documented"), Vec::<String>::new());
        assert_eq!(names(Method::GET, "/api/v1/ws").expect("documented"), ["from", "token"]);
        assert_eq!(names(Method::GET, "/api/v1/no-such-route"), None);
    }
}
