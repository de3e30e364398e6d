#include <opus.h>
#include <opus_multistream.h>

/* The encoder's controls are variadic in C, which Swift cannot call: one function per control used. */
static inline int copus_set_bitrate(OpusMSEncoder *encoder, opus_int32 bitsPerSecond) {
    return opus_multistream_encoder_ctl(encoder, OPUS_SET_BITRATE(bitsPerSecond));
}

static inline int copus_set_voice(OpusMSEncoder *encoder) {
    return opus_multistream_encoder_ctl(encoder, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
}

static inline int copus_set_complexity(OpusMSEncoder *encoder, opus_int32 complexity) {
    return opus_multistream_encoder_ctl(encoder, OPUS_SET_COMPLEXITY(complexity));
}

static inline opus_int32 copus_lookahead(OpusMSEncoder *encoder) {
    opus_int32 samples = 0;
    opus_multistream_encoder_ctl(encoder, OPUS_GET_LOOKAHEAD(&samples));
    return samples;
}
