"""Aggregate reports: the evaluation of the FIPD-funded actions, the charter's annual report
(R16) and the objectives' achievement. Counts only, small cells suppressed before anything
is shown or exported."""
