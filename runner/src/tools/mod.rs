//! Tool implementations that touch the outside world (processes, files).
