// Swagger UI for the admin API's contract. No validator badge: it would call a third party.
window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/admin/v1/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    persistAuthorization: false
  });
});
