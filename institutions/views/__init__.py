"""Pages of institutions, assessors and experts, split by screen."""
