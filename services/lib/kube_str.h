/* kube_str: a growable, NUL-terminated string that its builder owns until taken, for the texts
 * services/lib composes (selector strings, error messages). Out of memory aborts. Header-only:
 * a few lines each, used in loops where a call would cost more than the work. */
#pragma once

#include <stdlib.h>
#include <string.h>

typedef struct {
    char *p;
    size_t len, cap;
} kube_str_t;

static inline void kube_str_add(kube_str_t *s, const char *data, size_t len)
{
    if (s->len + len + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 64;
        while (cap < s->len + len + 1) cap *= 2;
        char *p = realloc(s->p, cap);
        if (!p) abort();
        s->p = p;
        s->cap = cap;
    }
    memcpy(s->p + s->len, data, len);
    s->len += len;
    s->p[s->len] = '\0';
}

static inline void kube_str_adds(kube_str_t *s, const char *text)
{
    kube_str_add(s, text, strlen(text));
}

/* The string built so far, now the caller's to free (never NULL); the builder is empty again. */
static inline char *kube_str_take(kube_str_t *s)
{
    if (!s->p) kube_str_add(s, "", 0);
    char *p = s->p;
    memset(s, 0, sizeof *s);
    return p;
}
