"""Dev-only reference tooling (effdet); never imported by ``mmdet_efficientdet``."""
