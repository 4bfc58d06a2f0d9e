"""The response clock of each ticket (R16–R19): started at escalation, stopped only when an
appropriate resource starts work, paused where the agreement says so, with every event kept,
warning and breach timers fired exactly once, and attainment read from it."""
