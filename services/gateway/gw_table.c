/* gw_table: server-side Tables (meta.k8s.io/v1), what `kubectl get` prints. The columns come from
 * the kind tables: a column is either a path into the object or a named computation
 * (gw_table_fns, as kube-apiserver's printers do). Rows carry the
 * object as PartialObjectMetadata (the whole object with includeObject=Object). */
#include "gw.h"

#include "gw_table_fns.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gw_table_wanted(gw_req_t *req)
{
    const char *accept = gw_header(req, "Accept");
    return accept && strstr(accept, "as=Table") && strstr(accept, "g=meta.k8s.io");
}

static json_t *s_path(const json_t *obj, const char *path)
{
    char p[256];
    snprintf(p, sizeof p, "%s", path);
    const json_t *v = obj;
    for (char *save, *s = strtok_r(p, ".", &save); s && v; s = strtok_r(NULL, ".", &save))
        v = json_object_get(v, s);
    return (json_t *)v;
}

/* The zero value of the field at a dotted path of kind's schema: what upstream's printers read
 * from an unset Go struct field ("" / 0 / false). */
static json_t *s_zero(const kube_kind_t *kind, const char *path)
{
    char p[256];
    snprintf(p, sizeof p, "%s", path);
    const kube_type_t *t = kind->type;
    const kube_field_t *f = NULL;
    for (char *save, *s = strtok_r(p, ".", &save); s && t; s = strtok_r(NULL, ".", &save)) {
        f = NULL;
        for (size_t i = 0; i < t->fields_n; i++)
            if (!strcmp(t->fields[i].name, s)) f = &t->fields[i];
        t = f ? f->ref : NULL;
    }
    if (!f) return json_string("");
    switch (f->type) {
    case KUBE_T_INT32:
    case KUBE_T_INT64: return json_integer(0);
    case KUBE_T_NUMBER: return json_real(0);
    case KUBE_T_BOOL: return json_false();
    default: return json_string("");
    }
}

static json_t *s_cell(const kube_kind_t *kind, const kube_column_t *col, const json_t *obj,
                      int64_t now)
{
    if (col->fn) {
        /* kube-apiserver prints Tables as for -o wide; kubectl hides the wide columns. */
        json_t *cell = gw_table_fn(col->fn, obj, now, true);
        return cell ? cell : json_string("<unknown>");
    }
    const char *path = col->path[0] == '.' ? col->path + 1 : col->path;
    json_t *v = s_path(obj, path);
    return v && !json_is_null(v) ? json_incref(v) : s_zero(kind, path);
}

static json_t *s_partial(const json_t *obj)
{
    return json_pack("{s:s, s:s, s:O}", "kind", "PartialObjectMetadata", "apiVersion",
                     "meta.k8s.io/v1", "metadata", json_object_get(obj, "metadata"));
}

json_t *gw_table_new(const kube_kind_t *kind, json_t *items, const char *rv, const char *cont,
                     const char *include, bool with_columns, int64_t now)
{
    json_t *cols = json_array(), *rows = json_array();
    static const kube_column_t fallback[] = {
        {"Name", "string", "name", "Name must be unique within a namespace.", ".metadata.name",
         NULL, 0},
        {"Created At", "date", "",
         "CreationTimestamp is a timestamp representing the server "
         "time when this object was created.",
         ".metadata.creationTimestamp", NULL, 0},
    };
    const kube_column_t *defs = kind->columns_n ? kind->columns : fallback;
    size_t n = kind->columns_n ? kind->columns_n : 2;
    for (size_t i = 0; i < n; i++)
        json_array_append_new(cols,
                              json_pack("{s:s, s:s, s:s, s:s, s:i}", "name", defs[i].name, "type",
                                        defs[i].type, "format", defs[i].format, "description",
                                        defs[i].doc, "priority", defs[i].priority));
    size_t i;
    json_t *obj;
    json_array_foreach(items, i, obj)
    {
        json_t *cells = json_array();
        for (size_t c = 0; c < n; c++)
            json_array_append_new(cells, s_cell(kind, &defs[c], obj, now));
        json_t *row = json_pack("{s:o}", "cells", cells);
        if (!include || strcmp(include, "None"))
            json_object_set_new(row, "object",
                                include && !strcmp(include, "Object") ? json_incref(obj)
                                                                      : s_partial(obj));
        json_array_append_new(rows, row);
    }
    json_t *t = json_pack("{s:s, s:s, s:{s:s}, s:o, s:o}", "kind", "Table", "apiVersion",
                          "meta.k8s.io/v1", "metadata", "resourceVersion", rv, "columnDefinitions",
                          with_columns ? cols : json_null(), "rows", rows);
    if (!with_columns) json_decref(cols);
    if (cont && *cont)
        json_object_set_new(json_object_get(t, "metadata"), "continue", json_string(cont));
    return t;
}
