/* cli_kube_print: what the kubectl verbs print, in kubectl's forms: YAML as sigs.k8s.io/yaml
 * writes it (through libyaml's emitter, which go-yaml is a port of), JSON as Go's encoder writes
 * it, tables and describe output through a port of Go's tabwriter (with kubectl's
 * RememberWidths). It prints what it is given; it fetches nothing. */
#include "cli_kube.h"
#include "kube_time.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <yaml.h>

#define S_ANNOTATION_MAX 140 /* kubectl's maxAnnotationLen in describe */
#define S_LAST           "kubectl.kubernetes.io/last-applied-configuration"

static const char *s_str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

/* --- JSON ---------------------------------------------------------------------------------- */

/* Go's encoder escapes <, > and & (and U+2028, U+2029) even inside compact JSON. */
static char *s_go_escape(char *text)
{
    size_t extra = 0;
    for (const char *p = text; *p; p++) extra += strchr("<>&\xe2", *p) ? 5 : 0;
    char *out = malloc(strlen(text) + extra + 1), *o = out;
    if (!out) abort();
    for (const char *p = text; *p; p++) {
        if (*p == '<' || *p == '>' || *p == '&') {
            o += sprintf(o, "\\u%04x", (unsigned char)*p);
        } else if (!strncmp(p, "\xe2\x80\xa8", 3) || !strncmp(p, "\xe2\x80\xa9", 3)) {
            o += sprintf(o, "\\u202%c", p[2] == '\xa8' ? '8' : '9');
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = 0;
    free(text);
    return out;
}

char *cli_kube_json_compact(const json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    if (!text) abort();
    return s_go_escape(text);
}

void cli_kube_print_json(FILE *out, const json_t *value)
{
    if (!value) return; /* an answer that was not JSON */
    char *text = json_dumps(value, JSON_INDENT(4) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    if (!text) abort();
    text = s_go_escape(text);
    fprintf(out, "%s\n", text);
    free(text);
}

/* --- YAML ---------------------------------------------------------------------------------- */

static bool s_digits(const char **p, int min, int max, int hi)
{
    int n = 0, v = 0;
    while (n < max && isdigit((unsigned char)**p)) v = v * 10 + *(*p)++ - '0', n++;
    return n >= min && v <= hi;
}

/* yaml.v2's parseTimestamp: 2006-1-2, then optionally T15:4:5[.999][Z|-07:00] or " 15:4:5". */
static bool s_timestamp(const char *p)
{
    if (!s_digits(&p, 4, 4, 9999) || *p++ != '-' || !s_digits(&p, 1, 2, 12) || *p++ != '-' ||
        !s_digits(&p, 1, 2, 31))
        return false;
    if (!*p) return true;
    char sep = *p++;
    if ((sep != 'T' && sep != 't' && sep != ' ') || !s_digits(&p, 1, 2, 23) || *p++ != ':' ||
        !s_digits(&p, 1, 2, 59) || *p++ != ':' || !s_digits(&p, 1, 2, 59))
        return false;
    if (*p == '.' && (p++, !s_digits(&p, 1, 9, 999999999))) return false;
    if (sep == ' ') return !*p;
    if (*p == 'Z') return !p[1];
    return (*p == '+' || *p == '-') && (p++, s_digits(&p, 2, 2, 23)) && *p++ == ':' &&
           s_digits(&p, 2, 2, 59) && !*p;
}

/* Go's strconv.ParseInt(s, 0, 64) syntax (range not checked: too large reads as a float). */
static bool s_go_int(const char *p)
{
    int base = 10;
    p += *p == '+' || *p == '-';
    if (p[0] == '0' && p[1] && strchr("xXoObB", p[1]))
        base = strchr("xX", p[1]) ? 16 : strchr("oO", p[1]) ? 8 : 2, p += 2;
    else if (p[0] == '0' && p[1])
        base = 8, p++;
    if (!*p) return false;
    for (; *p; p++) {
        int d = isdigit((unsigned char)*p)    ? *p - '0'
                : isxdigit((unsigned char)*p) ? tolower((unsigned char)*p) - 'a' + 10
                                              : 99;
        if (d >= base) return false;
    }
    return true;
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ (yaml.v2's yamlStyleFloat) */
static bool s_go_float(const char *p)
{
    p += *p == '+' || *p == '-';
    size_t n = strspn(p, "0123456789");
    p += n;
    if (*p == '.') {
        size_t f = strspn(p + 1, "0123456789");
        if (!n && !f) return false;
        p += 1 + f;
    } else if (!n) {
        return false;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        p += *p == '+' || *p == '-';
        if (!(n = strspn(p, "0123456789"))) return false;
        p += n;
    }
    return !*p;
}

/* ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$ (YAML 1.1 sexagesimal floats) */
static bool s_base60(const char *p)
{
    p += *p == '+' || *p == '-';
    if (!isdigit((unsigned char)*p)) return false;
    p += strspn(p, "0123456789_");
    int groups = 0;
    while (*p == ':') {
        p++;
        size_t n = strspn(p, "0123456789");
        if (n < 1 || n > 2 || (n == 2 && *p > '5')) return false;
        p += n;
        groups++;
    }
    if (*p == '.') p += 1 + strspn(p + 1, "0123456789_");
    return groups && !*p;
}

/* Would this string, written plain, read back as something else (yaml.v2's resolve)? */
static bool s_needs_quotes(const char *s)
{
    static const char *const words[] = {
        "y",    "Y",    "yes",  "Yes",   "YES",   "true",  "True",  "TRUE",  "on",    "On",
        "ON",   "n",    "N",    "no",    "No",    "NO",    "false", "False", "FALSE", "off",
        "Off",  "OFF",  "",     "~",     "null",  "Null",  "NULL",  ".nan",  ".NaN",  ".NAN",
        ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", NULL};
    for (const char *const *w = words; *w; w++)
        if (!strcmp(s, *w)) return true;
    if (s_base60(s)) return true;
    if (s[0] == '.') return s_go_float(s) && !strchr(s, '_');
    if (!isdigit((unsigned char)s[0]) && s[0] != '+' && s[0] != '-') return false;
    if (s_timestamp(s)) return true;
    char *plain = strdup(s), *o = plain; /* yaml.v2 reads numbers with "_" removed */
    if (!plain) abort();
    for (const char *p = s; *p; p++)
        if (*p != '_') *o++ = *p;
    *o = 0;
    bool number = s_go_int(plain) || s_go_float(plain);
    free(plain);
    return number;
}

static size_t s_rune(const char *s, size_t i, int32_t *r)
{
    unsigned char c = (unsigned char)s[i];
    int n = c < 0x80 ? 0 : c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;
    int32_t v = n ? c & (0x3f >> n) : c;
    for (int k = 1; k <= n && s[i + k]; k++) v = v << 6 | (s[i + k] & 0x3f);
    *r = v;
    return i + 1 + (size_t)n;
}

static bool s_letter(int32_t r)
{
    return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || r >= 0xc0;
}

/* yaml.v2's keyList.Less for two string keys: letters after other characters, runs of digits
 * compared as numbers. */
static bool s_key_less(const char *a, const char *b)
{
    size_t i = 0, j = 0;
    int32_t ra, rb;
    while (a[i] && b[j]) {
        size_t ni = s_rune(a, i, &ra), nj = s_rune(b, j, &rb);
        if (ra != rb) {
            bool al = s_letter(ra), bl = s_letter(rb);
            if (al && bl) return ra < rb;
            if (al || bl) return bl;
            uint64_t an = 0, bn = 0;
            if (ra == '0' || rb == '0')
                for (size_t k = i; k > 0 && isdigit((unsigned char)a[k - 1]); k--)
                    if (a[k - 1] != '0') {
                        an = bn = 1;
                        break;
                    }
            size_t ai = i, bi = j;
            for (; isdigit((unsigned char)a[ai]); ai++) an = an * 10 + (uint64_t)(a[ai] - '0');
            for (; isdigit((unsigned char)b[bi]); bi++) bn = bn * 10 + (uint64_t)(b[bi] - '0');
            if (an != bn) return (int64_t)an < (int64_t)bn;
            if (ai - i != bi - j) return ai - i < bi - j;
            return ra < rb;
        }
        i = ni;
        j = nj;
    }
    return !a[i] && b[j];
}

static int s_key_cmp(const void *x, const void *y)
{
    const char *a = *(const char *const *)x, *b = *(const char *const *)y;
    return s_key_less(a, b) ? -1 : s_key_less(b, a) ? 1 : 0;
}

/* Go's strconv.FormatFloat(f, 'g', -1, 64): the shortest digits that read back the same. */
static void s_go_float_text(double d, char *out, size_t outlen)
{
    if (isnan(d) || isinf(d)) {
        snprintf(out, outlen, "%s", isnan(d) ? ".nan" : d > 0 ? ".inf" : "-.inf");
        return;
    }
    int p = 1;
    for (; p < 17; p++) {
        snprintf(out, outlen, "%.*e", p - 1, d);
        if (strtod(out, NULL) == d) break;
    }
    int exp = atoi(strchr(out, 'e') + 1);
    if (exp < -4 || exp >= 6) /* Go decides with precision 6 when the digits are shortest */
        snprintf(out, outlen, "%.*e", p - 1, d);
    else
        snprintf(out, outlen, "%.*f", p - 1 - exp > 0 ? p - 1 - exp : 0, d);
}

static int s_emit_scalar(yaml_emitter_t *e, const char *text, yaml_scalar_style_t style)
{
    yaml_event_t ev;
    yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)strlen(text), 1, 1,
                                 style);
    return yaml_emitter_emit(e, &ev);
}

static int s_emit(yaml_emitter_t *e, const json_t *v);

static int s_emit_string(yaml_emitter_t *e, const char *s)
{
    if (strchr(s, '\n')) return s_emit_scalar(e, s, YAML_LITERAL_SCALAR_STYLE);
    return s_emit_scalar(
        e, s, s_needs_quotes(s) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_PLAIN_SCALAR_STYLE);
}

static int s_emit_map(yaml_emitter_t *e, const json_t *v)
{
    yaml_event_t ev;
    yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
    if (!yaml_emitter_emit(e, &ev)) return 0;
    size_t n = json_object_size(v), i = 0;
    const char **keys = malloc((n ? n : 1) * sizeof *keys), *key;
    if (!keys) abort();
    json_t *child;
    json_object_foreach((json_t *)v, key, child) keys[i++] = key;
    qsort(keys, n, sizeof *keys, s_key_cmp);
    int ok = 1;
    for (i = 0; i < n && ok; i++)
        ok = s_emit_string(e, keys[i]) && s_emit(e, json_object_get(v, keys[i]));
    free(keys);
    yaml_mapping_end_event_initialize(&ev);
    return ok && yaml_emitter_emit(e, &ev);
}

static int s_emit(yaml_emitter_t *e, const json_t *v)
{
    yaml_event_t ev;
    char text[64];
    size_t i;
    const json_t *child;
    switch (json_typeof(v)) {
    case JSON_OBJECT: return s_emit_map(e, v);
    case JSON_ARRAY:
        yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
        if (!yaml_emitter_emit(e, &ev)) return 0;
        json_array_foreach(v, i, child) if (!s_emit(e, child)) return 0;
        yaml_sequence_end_event_initialize(&ev);
        return yaml_emitter_emit(e, &ev);
    case JSON_STRING: return s_emit_string(e, json_string_value(v));
    case JSON_INTEGER:
        snprintf(text, sizeof text, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL: s_go_float_text(json_real_value(v), text, sizeof text); break;
    case JSON_TRUE: snprintf(text, sizeof text, "true"); break;
    case JSON_FALSE: snprintf(text, sizeof text, "false"); break;
    default: snprintf(text, sizeof text, "null"); break;
    }
    return s_emit_scalar(e, text, YAML_PLAIN_SCALAR_STYLE);
}

static int s_yaml_write(void *arg, unsigned char *buffer, size_t size)
{
    return fwrite(buffer, 1, size, arg) == size;
}

void cli_kube_print_yaml(FILE *out, const json_t *value)
{
    yaml_emitter_t e;
    yaml_event_t ev;
    if (!value) return; /* an answer that was not JSON */
    if (!yaml_emitter_initialize(&e)) abort();
    yaml_emitter_set_output(&e, s_yaml_write, out);
    yaml_emitter_set_unicode(&e, 1);
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    int ok = yaml_emitter_emit(&e, &ev);
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
    ok = ok && yaml_emitter_emit(&e, &ev) && s_emit(&e, value);
    yaml_document_end_event_initialize(&ev, 1);
    ok = ok && yaml_emitter_emit(&e, &ev);
    yaml_stream_end_event_initialize(&ev);
    ok = ok && yaml_emitter_emit(&e, &ev);
    if (!ok) fprintf(stderr, "kubus: cannot write YAML: %s\n", e.problem ? e.problem : "?");
    yaml_emitter_delete(&e);
}

/* --- Go's tabwriter ------------------------------------------------------------------------ */

typedef struct {
    char **cells; /* a line's cells: each but the last ended by a tab */
    size_t n;
} s_line_t;

typedef struct {
    s_line_t *lines;
    size_t n, cap;
    size_t minwidth, padding;
    size_t *widths, depth, widths_cap; /* the column widths of the block being printed */
    size_t *kept, kept_n;              /* RememberWidths: the widest seen per column */
    bool remember;
} s_tw_t;

static size_t s_width(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static void s_tw_line(s_tw_t *tw, const char *text)
{
    if (tw->n == tw->cap && !(tw->lines = realloc(tw->lines, (tw->cap += 64) * sizeof *tw->lines)))
        abort();
    s_line_t *l = &tw->lines[tw->n++];
    l->n = 1;
    for (const char *p = text; *p; p++) l->n += *p == '\t';
    if (!(l->cells = calloc(l->n, sizeof *l->cells))) abort();
    for (size_t i = 0; i < l->n; i++) {
        size_t len = strcspn(text, "\t");
        if (!(l->cells[i] = strndup(text, len))) abort();
        text += len + (text[len] == '\t');
    }
}

static void s_tw_write(s_tw_t *tw, FILE *out, size_t line0, size_t line1)
{
    for (size_t i = line0; i < line1; i++) {
        s_line_t *l = &tw->lines[i];
        for (size_t j = 0; j < l->n; j++) {
            fputs(l->cells[j], out);
            if (j < tw->depth)
                for (size_t w = s_width(l->cells[j]); w < tw->widths[j]; w++) fputc(' ', out);
        }
        fputc('\n', out);
    }
}

static size_t s_tw_remember(s_tw_t *tw, size_t column, size_t width)
{
    if (!tw->remember) return width;
    if (column >= tw->kept_n) {
        if (!(tw->kept = realloc(tw->kept, (column + 1) * sizeof *tw->kept))) abort();
        for (; tw->kept_n <= column; tw->kept_n++) tw->kept[tw->kept_n] = 0;
    }
    if (tw->kept[column] > width) return tw->kept[column];
    return tw->kept[column] = width;
}

/* Go's tabwriter.format: a column block is a run of lines that have a cell in the column. */
static void s_tw_format(s_tw_t *tw, FILE *out, size_t line0, size_t line1)
{
    size_t column = tw->depth;
    for (size_t this = line0; this < line1; this ++) {
        if (column + 1 >= tw->lines[this].n) continue;
        s_tw_write(tw, out, line0, this);
        line0 = this;
        size_t width = tw->minwidth;
        for (; this < line1 && column + 1 < tw->lines[this].n; this ++) {
            size_t w = s_width(tw->lines[this].cells[column]) + tw->padding;
            if (w > width) width = w;
        }
        if (tw->depth == tw->widths_cap &&
            !(tw->widths = realloc(tw->widths, (tw->widths_cap += 16) * sizeof *tw->widths)))
            abort();
        tw->widths[tw->depth++] = s_tw_remember(tw, column, width);
        s_tw_format(tw, out, line0, this);
        tw->depth--;
        line0 = this;
    }
    s_tw_write(tw, out, line0, line1);
}

static void s_tw_flush(s_tw_t *tw, FILE *out)
{
    s_tw_format(tw, out, 0, tw->n);
    for (size_t i = 0; i < tw->n; i++) {
        for (size_t j = 0; j < tw->lines[i].n; j++) free(tw->lines[i].cells[j]);
        free(tw->lines[i].cells);
    }
    tw->n = 0;
}

static void s_tw_text(s_tw_t *tw, char *text)
{
    for (char *line = text, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
        *nl = 0;
        s_tw_line(tw, line);
    }
}

static void s_tw_free(s_tw_t *tw)
{
    for (size_t i = 0; i < tw->n; i++) {
        for (size_t j = 0; j < tw->lines[i].n; j++) free(tw->lines[i].cells[j]);
        free(tw->lines[i].cells);
    }
    free(tw->lines);
    free(tw->widths);
    free(tw->kept);
}

/* --- tables -------------------------------------------------------------------------------- */

struct cli_kube_table_t {
    cli_kube_table_opts_t o;
    s_tw_t tw;
    json_t *columns; /* the server's column definitions, once known */
    int name_column; /* the one of format "name", or -1 */
    bool have_header;
    size_t pending;
};

cli_kube_table_t *cli_kube_table_new(const cli_kube_table_opts_t *opts)
{
    cli_kube_table_t *self = calloc(1, sizeof *self);
    if (!self) abort();
    self->o = *opts;
    self->tw = (s_tw_t){.minwidth = 6, .padding = 3, .remember = true};
    self->name_column = -1;
    return self;
}

void cli_kube_table_destroy(cli_kube_table_t **self_p)
{
    cli_kube_table_t *self = *self_p;
    if (!self) return;
    s_tw_free(&self->tw);
    json_decref(self->columns);
    free(self);
    *self_p = NULL;
}

static bool s_visible(const cli_kube_table_t *self, const json_t *col)
{
    return self->o.wide || json_integer_value(json_object_get(col, "priority")) == 0;
}

/* A cell as kubectl prints one: up to a line break ("..." then), ESC and CR made visible. */
static void s_cell(FILE *f, const json_t *v)
{
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = strcspn(s, "\f\n\r");
        for (size_t i = 0; i < n; i++) {
            if (s[i] == 0x1b)
                fputs("^[", f);
            else
                fputc(s[i] == '\t' ? ' ' : s[i], f);
        }
        if (s[n]) fputs("...", f);
    } else if (json_is_integer(v)) {
        fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    } else if (json_is_real(v)) {
        char text[64];
        s_go_float_text(json_real_value(v), text, sizeof text);
        fputs(text, f);
    } else if (json_is_boolean(v)) {
        fputs(json_is_true(v) ? "true" : "false", f);
    } else if (v && !json_is_null(v)) {
        char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        fputs(text ? text : "", f);
        free(text);
    }
}

static int s_strcmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* labels.FormatLabels: k=v sorted by key, comma-separated; "<none>" when there are none. */
static void s_labels(FILE *f, const json_t *labels)
{
    size_t n = json_object_size(labels), i = 0;
    if (!n) {
        fputs("<none>", f);
        return;
    }
    const char **keys = malloc(n * sizeof *keys), *key;
    if (!keys) abort();
    json_t *v;
    json_object_foreach((json_t *)labels, key, v) keys[i++] = key;
    qsort(keys, n, sizeof *keys, s_strcmp);
    for (i = 0; i < n; i++) fprintf(f, "%s%s=%s", i ? "," : "", keys[i], s_str(labels, keys[i]));
    free(keys);
}

static void s_table_header(cli_kube_table_t *self)
{
    char *line = NULL;
    size_t len, i;
    FILE *f = open_memstream(&line, &len);
    if (!f) abort();
    if (self->o.namespace_col) fputs("NAMESPACE\t", f);
    const json_t *col;
    bool first = true;
    json_array_foreach(self->columns, i, col)
    {
        if (!s_visible(self, col)) continue;
        fputs(first ? "" : "\t", f);
        for (const char *p = s_str(col, "name"); *p; p++) fputc(toupper((unsigned char)*p), f);
        first = false;
    }
    if (self->o.show_labels) fputs("\tLABELS", f);
    fclose(f);
    /* The header is the first line of the first block, so it shares the rows' widths. */
    if (!self->o.no_headers) s_tw_line(&self->tw, line);
    self->have_header = true;
    free(line);
}

static void s_table_row(cli_kube_table_t *self, const json_t *row)
{
    char *line = NULL;
    size_t len, i;
    FILE *f = open_memstream(&line, &len);
    if (!f) abort();
    const json_t *meta = json_object_get(json_object_get(row, "object"), "metadata");
    const json_t *cells = json_object_get(row, "cells"), *col;
    if (self->o.namespace_col) fprintf(f, "%s\t", s_str(meta, "namespace"));
    bool first = true;
    json_array_foreach(self->columns, i, col)
    {
        if (!s_visible(self, col)) continue;
        fputs(first ? "" : "\t", f);
        if ((int)i == self->name_column && self->o.kind_prefix)
            fprintf(f, "%s/", self->o.kind_prefix);
        s_cell(f, json_array_get(cells, i));
        first = false;
    }
    if (self->o.show_labels) {
        fputc('\t', f);
        s_labels(f, json_object_get(meta, "labels"));
    }
    fclose(f);
    s_tw_line(&self->tw, line);
    self->pending++;
    free(line);
}

void cli_kube_table_add(cli_kube_table_t *self, const json_t *table)
{
    const json_t *cols = json_object_get(table, "columnDefinitions"), *row, *col;
    size_t i;
    if (!self->columns && json_array_size(cols)) {
        self->columns = json_incref((json_t *)cols);
        json_array_foreach(cols, i,
                           col) if (self->name_column < 0 && !strcmp(s_str(col, "format"), "name"))
            self->name_column = (int)i;
        s_table_header(self);
    }
    if (!self->columns) return;
    json_array_foreach(json_object_get(table, "rows"), i, row) s_table_row(self, row);
}

void cli_kube_table_row(cli_kube_table_t *self, const char *const *cells, size_t n, bool header)
{
    char *line = NULL;
    size_t len;
    FILE *f = open_memstream(&line, &len);
    if (!f) abort();
    for (size_t i = 0; i < n; i++) fprintf(f, "%s%s", i ? "\t" : "", cells[i]);
    fclose(f);
    if (!header || (!self->have_header && !self->o.no_headers)) s_tw_line(&self->tw, line);
    self->have_header |= header;
    self->pending += !header;
    free(line);
}

void cli_kube_table_flush(cli_kube_table_t *self, FILE *out)
{
    if (!self->pending) return; /* a header alone waits for its first row */
    s_tw_flush(&self->tw, out);
    fflush(out);
    self->pending = 0;
}

size_t cli_kube_table_pending(const cli_kube_table_t *self)
{
    return self->pending;
}

/* --- describe ------------------------------------------------------------------------------ */

/* kubectl's smartLabelFor: "creationTimestamp" -> "Creation Timestamp", "apiVersion" ->
 * "API Version"; names with characters other than letters and '-' are kept as they are. Parts
 * as fatih/camelcase splits them: runs of one class, the last capital of a run moved to a
 * lower-case run after it ("APIVersion": "API" "Version"). */
static void s_smart_label(FILE *f, const char *field)
{
    size_t n = strlen(field), starts[128], lens[128], parts = 0;
    for (const char *p = field; *p; p++)
        if ((!isalpha((unsigned char)*p) && *p != '-') || n > 120) {
            fputs(field, f);
            return;
        }
    for (size_t i = 0; i < n; i++) {
        int k = islower((unsigned char)field[i]) ? 0 : isupper((unsigned char)field[i]) ? 1 : 2;
        int prev = !i                                     ? -1
                   : islower((unsigned char)field[i - 1]) ? 0
                   : isupper((unsigned char)field[i - 1]) ? 1
                                                          : 2;
        if (k != prev) starts[parts] = i, lens[parts++] = 0;
        lens[parts - 1]++;
    }
    for (size_t i = 0; i + 1 < parts; i++)
        if (isupper((unsigned char)field[starts[i]]) &&
            islower((unsigned char)field[starts[i + 1]]))
            lens[i]--, starts[i + 1]--, lens[i + 1]++;
    bool first = true;
    for (size_t i = 0; i < parts; i++) {
        if (!lens[i]) continue;
        char part[128];
        snprintf(part, sizeof part, "%.*s", (int)lens[i], field + starts[i]);
        char upper[128];
        for (size_t k = 0; k <= lens[i]; k++) upper[k] = (char)toupper((unsigned char)part[k]);
        bool acronym = !strcmp(upper, "API") || !strcmp(upper, "URL") || !strcmp(upper, "UID") ||
                       !strcmp(upper, "OSB") || !strcmp(upper, "GUID");
        part[0] = (char)toupper((unsigned char)part[0]);
        fprintf(f, "%s%s", first ? "" : " ", acronym ? upper : part);
        first = false;
    }
}

/* A value as Go's %v prints it. */
static void s_value(FILE *f, const json_t *v)
{
    if (json_is_string(v))
        fputs(json_string_value(v), f);
    else if (json_is_null(v))
        fputs("<nil>", f);
    else
        s_cell(f, v);
}

/* Maps whose keys are data, not field names: printed as they are, not as smart labels. */
static bool s_raw_keys(const char *field)
{
    static const char *const names[] = {"data",     "stringData",   "binaryData",
                                        "labels",   "annotations",  "matchLabels",
                                        "selector", "nodeSelector", NULL};
    for (const char *const *n = names; *n; n++)
        if (!strcmp(field, *n)) return true;
    return false;
}

/* A scalar after "Key:"; a string of several lines goes below its key, indented. */
static void s_scalar(FILE *f, int level, const json_t *v)
{
    const char *s = json_string_value(v);
    if (!s || !strchr(s, '\n')) {
        fputs(":\t", f);
        s_value(f, v);
        fputc('\n', f);
        return;
    }
    fputs(":\n", f);
    for (size_t n; *s; s += n + (s[n] == '\n')) {
        n = strcspn(s, "\n");
        fprintf(f, "%*s%.*s\n", (level + 1) * 2, "", (int)n, s);
    }
}

/* kubectl's printUnstructuredContent: sorted fields, maps and lists of maps a level (2 spaces)
 * deeper, a list's scalars one per line. */
static void s_content(FILE *f, int level, const json_t *obj, bool raw)
{
    size_t n = json_object_size(obj), i = 0, j;
    const char **keys = malloc((n ? n : 1) * sizeof *keys), *key;
    if (!keys) abort();
    json_t *v;
    const json_t *c;
    json_object_foreach((json_t *)obj, key, v) keys[i++] = key;
    qsort(keys, n, sizeof *keys, s_strcmp);
    for (i = 0; i < n; i++) {
        v = json_object_get(obj, keys[i]);
        fprintf(f, "%*s", level * 2, "");
        raw ? (void)fputs(keys[i], f) : s_smart_label(f, keys[i]);
        if (!json_is_object(v) && !json_is_array(v)) {
            s_scalar(f, level, v);
            continue;
        }
        fputs(":\n", f);
        if (json_is_object(v)) s_content(f, level + 1, v, s_raw_keys(keys[i]));
        json_array_foreach(v, j, c)
        {
            if (json_is_object(c)) {
                s_content(f, level + 1, c, false);
                continue;
            }
            fprintf(f, "%*s", (level + 1) * 2, "");
            s_value(f, c);
            fputc('\n', f);
        }
    }
    free(keys);
}

static void s_describe_map(FILE *f, const char *title, const json_t *map, bool annotations)
{
    fprintf(f, "%s:\t", title);
    size_t n = json_object_size(map), i = 0;
    if (!n) fputs("<none>\n", f);
    const char **keys = malloc((n ? n : 1) * sizeof *keys), *key;
    if (!keys) abort();
    json_t *v;
    json_object_foreach((json_t *)map, key, v) if (strcmp(key, S_LAST)) keys[i++] = key;
    if (!i && n) fputs("<none>\n", f); /* kubectl never shows the last-applied annotation */
    n = i;
    qsort(keys, n, sizeof *keys, s_strcmp);
    for (i = 0; i < n; i++) {
        const char *value = s_str(map, keys[i]);
        size_t len = strlen(value);
        if (len && value[len - 1] == '\n') len--;
        fputs(i ? "\t" : "", f);
        if (!annotations) {
            fprintf(f, "%s=%s\n", keys[i], value);
        } else if (len + strlen(keys[i]) + 2 > S_ANNOTATION_MAX || memchr(value, '\n', len)) {
            fprintf(f, "%s:\n", keys[i]);
            for (const char *p = value; p <= value + len;) { /* each line, shortened */
                size_t l = strcspn(p, "\n");
                if (p + l > value + len) l = (size_t)(value + len - p);
                if (l > S_ANNOTATION_MAX - 2)
                    fprintf(f, "\t  %.*s...\n", S_ANNOTATION_MAX - 2, p);
                else
                    fprintf(f, "\t  %.*s\n", (int)l, p);
                p += l + 1;
            }
        } else {
            fprintf(f, "%s: %.*s\n", keys[i], (int)len, value);
        }
    }
    free(keys);
}

static int s_event_cmp(const void *a, const void *b)
{
    const char *x = s_str(*(const json_t *const *)a, "lastTimestamp");
    const char *y = s_str(*(const json_t *const *)b, "lastTimestamp");
    return strcmp(x, y);
}

static void s_age(char *out, size_t outlen, const char *timestamp)
{
    int64_t t;
    if (kube_time_parse(timestamp, &t) != 0) {
        snprintf(out, outlen, "<unknown>");
        return;
    }
    kube_time_human(kube_time_now() - t, out, outlen);
}

/* DescribeEvents: a table of the object's events, oldest first, or "Events: <none>". */
static void s_events(FILE *f, const json_t *events)
{
    size_t n = json_array_size(events), i;
    if (!n) {
        fputs("Events:\t<none>\n", f);
        return;
    }
    const json_t **sorted = malloc(n * sizeof *sorted);
    if (!sorted) abort();
    for (i = 0; i < n; i++) sorted[i] = json_array_get(events, i);
    qsort(sorted, n, sizeof *sorted, s_event_cmp);
    fputs("Events:\n  Type\tReason\tAge\tFrom\tMessage\n  ----\t------\t----\t----\t-------\n", f);
    for (i = 0; i < n; i++) {
        const json_t *e = sorted[i];
        char first[32], last[32], age[96];
        const char *at =
            *s_str(e, "firstTimestamp") ? s_str(e, "firstTimestamp") : s_str(e, "eventTime");
        s_age(first, sizeof first, at);
        s_age(last, sizeof last, s_str(e, "lastTimestamp"));
        json_int_t count = json_integer_value(json_object_get(e, "count"));
        if (count > 1)
            snprintf(age, sizeof age, "%s (x%" JSON_INTEGER_FORMAT " over %s)", last, count, first);
        else
            snprintf(age, sizeof age, "%s", first);
        const char *from = s_str(json_object_get(e, "source"), "component");
        fprintf(f, "  %s\t%s\t%s\t%s\t%s\n", s_str(e, "type"), s_str(e, "reason"), age,
                *from ? from : s_str(e, "reportingComponent"), s_str(e, "message"));
    }
    free(sorted);
}

void cli_kube_print_describe(FILE *out, const json_t *obj, const json_t *events)
{
    s_tw_t tw = {.minwidth = 0, .padding = 2};
    char *text = NULL;
    size_t len;
    FILE *f = open_memstream(&text, &len);
    if (!f) abort();
    const json_t *meta = json_object_get(obj, "metadata");
    fprintf(f, "Name:\t%s\n", s_str(meta, "name"));
    if (*s_str(meta, "namespace")) fprintf(f, "Namespace:\t%s\n", s_str(meta, "namespace"));
    int64_t created;
    if (kube_time_parse(s_str(meta, "creationTimestamp"), &created) == 0) {
        char when[64];
        time_t t = (time_t)created;
        struct tm tm;
        strftime(when, sizeof when, "%a, %d %b %Y %H:%M:%S %z", localtime_r(&t, &tm));
        fprintf(f, "CreationTimestamp:\t%s\n", when); /* Go's RFC1123Z, as kubectl prints */
    }
    s_describe_map(f, "Labels", json_object_get(meta, "labels"), false);
    s_describe_map(f, "Annotations", json_object_get(meta, "annotations"), true);
    json_t *rest = json_copy((json_t *)obj); /* the fields, the header's aside */
    json_object_del(rest, "apiVersion");
    json_object_del(rest, "kind");
    json_object_del(rest, "metadata");
    s_content(f, 0, rest, false);
    json_decref(rest);
    fclose(f);
    s_tw_text(&tw, text);
    free(text);
    /* kubectl flushes before a table of events, so they align on their own. */
    if (json_array_size(events)) s_tw_flush(&tw, out);
    if (!(f = open_memstream(&text, &len))) abort();
    s_events(f, events);
    fclose(f);
    s_tw_text(&tw, text);
    free(text);
    s_tw_flush(&tw, out);
    s_tw_free(&tw);
}
