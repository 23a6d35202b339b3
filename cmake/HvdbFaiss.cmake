# FAISS from Debian's libfaiss-dev (the hnsw index and hvdb-bench). Its CMake
# package points at a wrong prefix, so the static library is located directly,
# with what it needs: OpenMP, BLAS and LAPACK.
find_library(HVDB_FAISS_LIBRARY NAMES faiss REQUIRED)
find_path(HVDB_FAISS_INCLUDE_DIR faiss/IndexBinaryHNSW.h REQUIRED)
find_package(OpenMP REQUIRED)
find_package(BLAS REQUIRED)
find_package(LAPACK REQUIRED)
