"""The CCOP's year: the closed lists the charter administrator maintains (action types,
outcomes, closing reasons), the national strategy's objectives, each group's objectives per
year with their targets, and the council's actions funded by the FIPD."""
