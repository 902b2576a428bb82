//! `GET /graphql` and `GET /graphiql/{asset}`: GraphiQL, the in-browser IDE, for the GraphQL
//! endpoint `POST /graphql` of the same origin (GraphQL runs on `POST` only here, so a
//! browser's `GET` of the endpoint is free for the IDE). Every file the page loads is compiled
//! into the binary (`assets/README.md` names the packages and their checksums), so it needs
//! no CDN and runs under a policy of `'self'` (and one inline style, by hash).

use shared::http::assets::{self as asset, Asset, OWN, VENDORED};
use shared::http::{HandlerResult, Request};

/// As `/docs`'s: scripts, styles and requests of this origin only (GraphiQL inlines its fonts
/// and icons as `data:` URLs), plus the one inline style GraphiQL needs: its dialogs (Radix,
/// through react-remove-scroll) lock the page's scroll with a `<style>` element whose text
/// depends only on the scroll bar's width and the body's margins, all 0 on this page
/// (`page.css`), so it has one hash. A GraphiQL upgrade that changes it fails
/// `scripts/browser_check.py`, which opens a dialog; the browser names the new hash.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
style-src 'self' 'sha256-Y/huXlwoYkVyQlxwSVcCi1RCDGDCSVBzDt0hYP9qlTc='; img-src 'self' data:; \
font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

static PAGE: Asset = Asset::new("", "text/html; charset=utf-8", OWN, include_str!("page.html"));

static ASSETS: [Asset; 8] = [
    // Not inline in the page: the policy allows no inline script or style.
    Asset::new("init.js", JS, OWN, include_str!("init.js")),
    Asset::new("page.css", CSS, OWN, include_str!("page.css")),
    Asset::new(
        "react.production.min.js",
        JS,
        VENDORED,
        include_str!("../assets/react.production.min.js"),
    ),
    Asset::new(
        "react-dom.production.min.js",
        JS,
        VENDORED,
        include_str!("../assets/react-dom.production.min.js"),
    ),
    Asset::new(
        "graphiql.min.js",
        JS,
        VENDORED,
        include_str!("../assets/graphiql.min.js"),
    ),
    Asset::new(
        "graphiql.min.css",
        CSS,
        VENDORED,
        include_str!("../assets/graphiql.min.css"),
    ),
    Asset::new(
        "graphiql.LICENSE",
        TEXT,
        VENDORED,
        include_str!("../assets/graphiql.LICENSE"),
    ),
    // One text for react and react-dom.
    Asset::new("react.LICENSE", TEXT, VENDORED, include_str!("../assets/react.LICENSE")),
];

/// The IDE on `GET /graphql`, one of its files on `GET /graphiql/{asset}`.
pub async fn handle(req: Request) -> HandlerResult {
    asset::answer(&req, &PAGE, &ASSETS, CONTENT_SECURITY_POLICY)
}
