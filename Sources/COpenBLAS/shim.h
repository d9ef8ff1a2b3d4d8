// OpenBLAS: its CBLAS interface (`paper bench` measures the machine's sgemm ceiling) and one LAPACK routine,
// dsyev (eigenvalues of small symmetric matrices in the engine's frame metrics). OpenBLAS ships LAPACK without a
// C header here, so dsyev's Fortran prototype is declared below (the two trailing lengths are the hidden lengths
// of its character arguments).
#include <cblas.h>
#include <stddef.h>

void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
            double *work, const int *lwork, int *info, size_t jobz_len, size_t uplo_len);
