//! The HTTP API: routes, shared state and the layers every request goes through (trace,
//! epoch header, response compression, request decompression, body limit). Each route is
//! described with utoipa, and the same router produces the OpenAPI document served at
//! `/openapi.json`, so the document cannot miss a route.

mod enroll;
mod status;
mod sync;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest};
use axum::http::{HeaderName, HeaderValue, Request, StatusCode};
use serde::de::DeserializeOwned;
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::error::ApiError;
use crate::storage::ServerStorage;
use crate::token_life::TokenLife;

pub use enroll::{EnrollRequest, EnrollResponse, UnitRef};
pub use status::{Health, WhoAmI};

/// The header that carries the server's epoch on every answer.
pub const EPOCH_HEADER: &str = "x-khuyenhoc-epoch";

/// What handlers share.
#[derive(Clone)]
pub struct AppState {
    pub storage: Arc<dyn ServerStorage>,
    pub epoch: Uuid,
    /// How long an unused token lives ([`crate::auth::AuthDevice`] refuses expired ones).
    pub token_life: TokenLife,
    openapi: Arc<utoipa::openapi::OpenApi>,
}

/// A JSON body whose rejections (bad syntax, wrong shape, too large, not JSON) answer in the
/// API's error shape instead of axum's plain text. Parsed straight from the bytes: axum's own
/// `Json` tracks the path of every value it reads, which cost a push of 500 ops more than
/// its merge.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request<axum::body::Body>, state: &S) -> Result<Self, ApiError> {
        let json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .is_some_and(|m| {
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            });
        if !json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                // A body that could not be read (cut connection, bad compression…).
                ApiError::MalformedJson
            }
        })?;
        serde_json::from_slice(&bytes).map(ApiJson).map_err(|e| {
            if e.is_data() {
                ApiError::InvalidBody
            } else {
                ApiError::MalformedJson
            }
        })
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "khuyenhoc sync server", description = "Central server of the khuyenhoc study-promotion register: device enrollment, push and pull."),
    modifiers(&BearerAuth),
    components(schemas(crate::error::ErrorBody)),
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(status::health))
        .routes(routes!(status::openapi_json))
        .routes(routes!(enroll::enroll))
        .routes(routes!(status::whoami))
        .routes(routes!(sync::push))
        .routes(routes!(sync::pull))
        .routes(routes!(sync::batch))
}

/// The OpenAPI document of every route (also served at `/openapi.json`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().into_openapi()
}

/// The whole application, ready to serve.
pub fn app(storage: Arc<dyn ServerStorage>, body_limit: usize, token_life: TokenLife) -> Router {
    let epoch = storage.epoch();
    let (router, doc) = routes().split_for_parts();
    let state = AppState {
        storage,
        epoch,
        token_life,
        openapi: Arc::new(doc),
    };
    let epoch_value =
        HeaderValue::from_str(&epoch.to_string()).expect("a UUID is a valid header value");
    router
        .fallback(|| async { ApiError::NotFound })
        .with_state(state)
        // Counted after decompression: a small compressed body that inflates past the limit
        // is refused as well.
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(RequestDecompressionLayer::new())
        .layer(CompressionLayer::new())
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static(EPOCH_HEADER),
            epoch_value,
        ))
        .layer(
            // Method and path only: no headers (tokens), no query, no bodies (personal data).
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<_>| {
                    tracing::info_span!(
                        "request",
                        method = %req.method(),
                        path = %req.uri().path(),
                        device_id = tracing::field::Empty,
                    )
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
}
