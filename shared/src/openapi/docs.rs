//! The routes of the API reference and of GraphiQL: pages for a browser and the files they
//! load, all of this origin (`functions/docs`, `functions/graphiql`).

#![allow(dead_code)]

use super::ErrorResponse;

#[utoipa::path(get, path = "/docs", tag = "docs",
    description = "This document as an interactive reference (Swagger UI): every route, its schemas, and \"Try it out\" \
against this origin (a bearer token via \"Authorize\"). Everything it loads comes from this origin, under a \
`Content-Security-Policy` of `'self'`.",
    responses((status = 200, description = "The page", content_type = "text/html")))]
fn docs_page() {}

#[utoipa::path(get, path = "/docs/{asset}", tag = "docs",
    description = "A file of the reference page: `init.js`, `swagger-ui-bundle.js`, `swagger-ui.css` (Swagger UI, \
pinned in `functions/docs/assets/README.md`), and its `LICENSE`, `NOTICE` and `swagger-ui-bundle.js.LICENSE.txt`. \
Strong `ETag`; `Cache-Control: public` for a day (Swagger UI's files) or five minutes (the page's own).",
    params(("asset" = String, Path, description = "File name, e.g. `swagger-ui.css`")),
    responses(
        (status = 200, description = "The file", content(
            (String = "text/javascript"),
            (String = "text/css"),
            (String = "text/plain"),
        )),
        (status = 404, description = "No such file", body = ErrorResponse),
    ))]
fn docs_asset() {}

#[utoipa::path(get, path = "/graphql", tag = "docs",
    description = "GraphiQL, the in-browser IDE of the GraphQL endpoint (`POST /graphql`, which it calls on this \
origin; add a bearer token under \"Headers\"). GraphQL itself runs on `POST` only.",
    responses((status = 200, description = "The page", content_type = "text/html")))]
fn graphiql_page() {}

#[utoipa::path(get, path = "/graphiql/{asset}", tag = "docs",
    description = "A file of the GraphiQL page: `init.js`, `page.css`, `graphiql.min.js`, `graphiql.min.css`, \
`react.production.min.js`, `react-dom.production.min.js` (pinned in `functions/graphiql/assets/README.md`), and \
`graphiql.LICENSE`, `react.LICENSE`. Strong `ETag`; `Cache-Control: public` for a day (the packages' files) or five \
minutes (the page's own).",
    params(("asset" = String, Path, description = "File name, e.g. `graphiql.min.js`")),
    responses(
        (status = 200, description = "The file", content(
            (String = "text/javascript"),
            (String = "text/css"),
            (String = "text/plain"),
        )),
        (status = 404, description = "No such file", body = ErrorResponse),
    ))]
fn graphiql_asset() {}
