// GraphiQL for the GraphQL endpoint of the origin that served this page (functions/graphiql).
"use strict";
const DEFAULT_QUERY = `# Roost's GraphQL API: run with Ctrl-Enter.
# Signed-in fields need a token; under
# "Headers" below put
#   {"Authorization": "Bearer <accessToken>"}
# with the accessToken of POST /auth/login.
# The schema: "Docs", top left.
{
  __typename
}
`;
const fetcher = GraphiQL.createFetcher({ url: new URL("graphql", document.baseURI).href });
ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, {
    fetcher,
    defaultQuery: DEFAULT_QUERY,
    defaultEditorToolsVisibility: true,
    // Headers hold tokens: kept for the tab only, never in localStorage.
    shouldPersistHeaders: false,
  }),
);
