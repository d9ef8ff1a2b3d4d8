// OpenBLAS's CBLAS interface: used only by `paper bench` to measure the machine's sgemm ceiling.
#include <cblas.h>
