"""Rights of the persons followed (R12): the DPO's register of requests with their legal clock,
the person's own record (access), rectification, restriction, objection and erasure."""
