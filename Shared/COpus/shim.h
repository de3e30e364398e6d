#include <opus.h>
#include <opus_multistream.h>
#include <opusenc.h>

/* The encoder's controls are variadic in C, which Swift cannot call: one function per control used. */
static inline int copus_set_bitrate(OggOpusEnc *encoder, opus_int32 bitsPerSecond) {
    return ope_encoder_ctl(encoder, OPUS_SET_BITRATE(bitsPerSecond));
}

static inline int copus_set_voice(OggOpusEnc *encoder) {
    return ope_encoder_ctl(encoder, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
}
