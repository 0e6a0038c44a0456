//! Integration tests: the real controller against a real PostgreSQL, one
//! database per test (cloned from a migrated template), run in parallel.

mod support;

mod agent;
mod agent_apply;
mod agent_apply_ops;
mod agent_grow;
mod agent_harness;
mod agent_image;
mod agent_image_http;
mod agent_other_filesystems;
mod agent_scan;
mod agent_scan_layouts;
mod agent_shrink;

mod audit;
mod authorization_matrix;
mod backend_credentials;
mod bad_input;
mod bulk_rebuild;
mod certificate_limits;
mod certificates;
mod clone_callbacks;
mod clone_plan;
mod clone_sessions;
mod cluster;
mod cluster_harness;
mod connection_limits;
mod console_queries;
mod content_security;
mod creation_guard;
mod cursors;
mod device_paths;
mod disk_responses;
mod disks;
mod embedded;
mod error_echo;
mod event_log;
mod fanout;
mod metrics;
mod openapi;
mod partition_node_side;
mod partition_operations;
mod pgbouncer;
mod projections;
mod registry;
mod reports;
mod retarget;
mod security;
mod shutdown;
mod socket_limits;
mod staged_image_cleanup;
mod staged_images;
mod staged_sessions;
mod timeouts;
mod ws_revocation;
