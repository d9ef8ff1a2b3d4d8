// The functions of vector_math.h are all inline; this file only makes the C target a library SwiftPM can build.
#include "vector_math.h"
