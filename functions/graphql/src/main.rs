//! Lambda entry point of `POST /graphql` and `GET /graphql/schema.graphql`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda::Error> {
    // Built at init, not on the first request.
    graphql::schema();
    shared::lambda::run_http(graphql_function::handle).await
}
