#include <mpi.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * Getters for the MPI handles and constants that Swift cannot import: OpenMPI defines them as
 * macros with casts (MPI_COMM_WORLD is `((MPI_Comm) &ompi_mpi_comm_world)`), which the Clang
 * importer skips. Only Sources/Distributed calls these; nothing else sees an MPI type.
 */

/* Communicators and error handlers. */
static inline MPI_Comm cmpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Errhandler cmpi_errors_return(void) { return MPI_ERRORS_RETURN; }

/* Datatypes. */
static inline MPI_Datatype cmpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype cmpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype cmpi_byte(void) { return MPI_BYTE; }

/* Reduction operations. */
static inline MPI_Op cmpi_sum(void) { return MPI_SUM; }
static inline MPI_Op cmpi_max(void) { return MPI_MAX; }
static inline MPI_Op cmpi_min(void) { return MPI_MIN; }

/* Buffers, requests and statuses. */
static inline void *cmpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Request cmpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline MPI_Status *cmpi_status_ignore(void) { return MPI_STATUS_IGNORE; }

/* Integer constants. */
static inline int cmpi_success(void) { return MPI_SUCCESS; }
static inline int cmpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
static inline int cmpi_thread_serialized(void) { return MPI_THREAD_SERIALIZED; }
static inline int cmpi_thread_multiple(void) { return MPI_THREAD_MULTIPLE; }

/* The calling thread's kernel id (gettid, which Glibc's Swift overlay lacks), for setpriority. */
static inline int cmpi_thread_id(void) { return (int)syscall(SYS_gettid); }

/* The watchdog's roll call (Sources/Distributed/RollCall.swift). */
static inline MPI_Datatype cmpi_int64(void) { return MPI_INT64_T; }
static inline int cmpi_any_source(void) { return MPI_ANY_SOURCE; }

/* Lets the calling thread's short sleeps end on time: Linux delays a sleeping thread's wake-up
 * by up to its timer slack, 50 us by default, which would set the floor of a polled wait. */
static inline void cmpi_set_timer_slack_nanoseconds(unsigned long nanoseconds) {
  prctl(PR_SET_TIMERSLACK, nanoseconds, 0, 0, 0);
}
