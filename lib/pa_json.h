/* pa_json.h - the JSON report reader (yajl), one entry of pa_input's table
 * of readers. Use it through pa_input.h; this header only names the entry. */
#ifndef PA_JSON_H
#define PA_JSON_H

#include "pa_reader.h"

extern const pa_reader_t pa_json_reader;

#endif
