/* fuzz_proto: Kubernetes protobuf request bodies (what kubectl's typed clients send) through the
 * gateway's decoder. A body either decodes to JSON that dumps, or is refused with a text that
 * says it is about protobuf; nothing else (no crash, no leak, no read outside the bytes). */
#include "gw_proto.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    json_t *obj = gw_proto_decode(data, size, err, sizeof err);
    if (obj) {
        char *text = json_dumps(obj, JSON_COMPACT);
        if (!text || !json_is_object(obj)) abort();
        free(text);
        json_decref(obj);
    } else if (strncmp(err, "protobuf: ", 10) != 0) {
        abort();
    }
    return 0;
}
