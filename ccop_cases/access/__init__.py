"""Who may do what: the one place where access is decided.

- ``standing``: what the decision reads about a person and an object, as a typed value;
- ``policy``: ``decide(standing, action, now)``, pure, every rule in order;
- ``loaders``: the views' way to their objects (decision first, audited refusals);
- ``permissions``: each route's declared permission, default deny, and the request's unit
  of work around the view.
"""
