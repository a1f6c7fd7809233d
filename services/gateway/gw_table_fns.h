/* gw_table_fns: the named column computations of server-side Tables (kube-apiserver's printers).
 * Each `fn:` of a column in schemas/kube/NAME.yaml is computed here, with the semantics listed in
 * the header comment of the YAML file that introduces it (upstream pkg/printers/internalversion,
 * v1.32). Pure: no I/O, time comes in as an argument. Not the Table itself (gw_table.c). */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The cell for column function fn on obj (a full object as JSON), now = the wall clock in Unix
 * seconds, wide = -o wide was asked (a few columns print differently). A new reference; NULL when
 * fn is not known (the caller prints "<unknown>"). Cells are JSON strings, or integers where
 * upstream's printer puts an int64 in the cell (cronjob_active, event_count, secret_data_count,
 * configmap_data_count, sa_secrets_count), whatever the column's declared type. Missing or
 * mistyped fields read as Go's zero values: never crashes on any JSON value. */
json_t *gw_table_fn(const char *fn, const json_t *obj, int64_t now, bool wide);

/* Asserts the cells of realistic objects; verbose prints each case. */
/* The names the table knows, in its (sorted) order: for the selftest. */
size_t gw_table_fns_count(void);
const char *gw_table_fns_name(size_t i);
void gw_table_fns_test(bool verbose);
