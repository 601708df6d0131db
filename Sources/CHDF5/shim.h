#ifndef CIRCUITFIT_CHDF5_SHIM_H
#define CIRCUITFIT_CHDF5_SHIM_H
#include <hdf5.h>

/* Swift cannot import HDF5's macro constants (they expand to globals behind H5open()), so each
   one the reader needs is wrapped in a static inline function. */
static inline hid_t cf_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t cf_h5s_all(void) { return H5S_ALL; }
static inline unsigned cf_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline hid_t cf_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t cf_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t cf_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t cf_h5t_c_s1(void) { return H5T_C_S1; }
static inline hid_t cf_h5t_std_ref_obj(void) { return H5T_STD_REF_OBJ; }
static inline size_t cf_h5t_variable(void) { return H5T_VARIABLE; }

/* Turns off HDF5's automatic printing of its error stack: failures become CircuitFitErrors. */
static inline herr_t cf_h5_silence_errors(void) { return H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

/* Number of HDF5 files and objects open in this process (to check every handle gets closed). */
static inline ssize_t cf_h5_open_object_count(void) { return H5Fget_obj_count((hid_t)H5F_OBJ_ALL, H5F_OBJ_ALL); }

/* The type (group, dataset, …) of the object at `name`, or H5I_BADID; closes what it opens. */
static inline H5I_type_t cf_h5_object_type(hid_t location, const char *name) {
    hid_t object = H5Oopen(location, name, H5P_DEFAULT);
    if (object < 0) return H5I_BADID;
    H5I_type_t type = H5Iget_type(object);
    H5Oclose(object);
    return type;
}
#endif
