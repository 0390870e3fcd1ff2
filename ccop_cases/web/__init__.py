"""The web layer shared by every blueprint: the application runtime and each request's unit of
work, sessions, response headers, error pages and the display of refusals."""
