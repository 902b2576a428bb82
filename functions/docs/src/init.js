// Swagger UI over the document of the origin that served this page (functions/docs).
// With no `servers` in the document, "Try it out" calls that same origin.
"use strict";
window.ui = SwaggerUIBundle({
  url: new URL("openapi.json", document.baseURI).href,
  dom_id: "#swagger-ui",
  // The page's own layout: no top bar loading other documents, no online validator badge.
  layout: "BaseLayout",
  presets: [SwaggerUIBundle.presets.apis],
  validatorUrl: "none",
  deepLinking: true,
  displayRequestDuration: true,
  // A token pasted into "Authorize" lives as long as the tab, never in localStorage.
  persistAuthorization: false,
});
