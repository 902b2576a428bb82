//! Lambda entry point of `GET /graphql` (GraphiQL) and `GET /graphiql/{asset}`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run_http_without_app(graphiql::handle).await
}
