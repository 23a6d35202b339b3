// Copyright hvdb authors. Everything a user of the embedded library includes.
#ifndef HVDB_HVDB_H_
#define HVDB_HVDB_H_

#include "hvdb/db.h"
#include "hvdb/hdc.h"
#include "hvdb/hypervector.h"
#include "hvdb/io.h"
#include "hvdb/options.h"
#include "hvdb/result.h"
#include "hvdb/status.h"
#include "hvdb/system.h"
#include "hvdb/write_batch.h"

#endif  // HVDB_HVDB_H_
