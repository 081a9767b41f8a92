/* pa_csv.h - the CSV report reader (libcsv), one entry of pa_input's table
 * of readers. Use it through pa_input.h; this header only names the entry. */
#ifndef PA_CSV_H
#define PA_CSV_H

#include "pa_reader.h"

extern const pa_reader_t pa_csv_reader;

#endif
