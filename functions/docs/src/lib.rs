//! `GET /docs` and `GET /docs/{asset}`: the API reference, Swagger UI over this API's own
//! `/openapi.json`, whose "Try it out" calls this same origin (bearer tokens via "Authorize").
//! Every file the page loads is compiled into the binary (`assets/README.md` names the
//! package and its checksums), so it needs no CDN and runs under a policy of `'self'` only.

use shared::http::assets::{self as asset, Asset, OWN, VENDORED};
use shared::http::{HandlerResult, Request};

/// Scripts, styles and requests of this origin only, no inline script or style; images and
/// fonts also as `data:` URLs (Swagger UI inlines its icons); no frames, no plugins.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
frame-ancestors 'none'";

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

static PAGE: Asset = Asset::new("", "text/html; charset=utf-8", OWN, include_str!("page.html"));

static ASSETS: [Asset; 6] = [
    // Not inline in the page: the policy allows no inline script.
    Asset::new("init.js", JS, OWN, include_str!("init.js")),
    Asset::new(
        "swagger-ui-bundle.js",
        JS,
        VENDORED,
        include_str!("../assets/swagger-ui-bundle.js"),
    ),
    Asset::new(
        "swagger-ui.css",
        CSS,
        VENDORED,
        include_str!("../assets/swagger-ui.css"),
    ),
    // The bundle's first line points here for its third-party licenses.
    Asset::new(
        "swagger-ui-bundle.js.LICENSE.txt",
        TEXT,
        VENDORED,
        include_str!("../assets/swagger-ui-bundle.js.LICENSE.txt"),
    ),
    Asset::new("LICENSE", TEXT, VENDORED, include_str!("../assets/LICENSE")),
    Asset::new("NOTICE", TEXT, VENDORED, include_str!("../assets/NOTICE")),
];

/// The page on `GET /docs`, one of its files on `GET /docs/{asset}`.
pub async fn handle(req: Request) -> HandlerResult {
    asset::answer(&req, &PAGE, &ASSETS, CONTENT_SECURITY_POLICY)
}
