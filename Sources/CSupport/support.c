// The functions of this module are inline in include/rtml_support.h; SwiftPM
// needs one source file to build a C target.
#include "rtml_support.h"
