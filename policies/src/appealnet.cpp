// AppealNet-like placement (Li et al., DAC 2021, our reading): a light difficulty predictor beside
// the edge model sends the inputs it finds hard to the cloud (the whole input, through an image
// codec) and answers the easy ones on the device. In simulation the difficulty is the frame's
// content complexity (the video's complexity process, docs/scenarios.md) seen through Gaussian
// estimation noise: docs/dvfo.md.

#include <algorithm>
#include <random>

#include "builtin.hpp"
#include "param_reader.hpp"

namespace edgetwin::policies {

namespace {

class AppealNetLike final : public Policy {
 public:
  AppealNetLike(double threshold, double noise, double input_bytes_per_element, std::uint64_t seed)
      : threshold_(threshold), noise_(noise), input_bytes_per_element_(input_bytes_per_element), rng_(seed) {}

  FrameAction on_frame(const FrameObservation& obs) override {
    double difficulty = obs.complexity;
    if (noise_ > 0) difficulty += std::normal_distribution<double>(0.0, noise_)(rng_);
    FrameAction a;
    if (difficulty > threshold_) {
      a.edge_units = 0;
      a.input_bytes_per_element = input_bytes_per_element_;
    }
    return a;
  }

 private:
  double threshold_;
  double noise_;
  double input_bytes_per_element_;
  std::mt19937_64 rng_;
};

}  // namespace

double input_codec_bytes_per_element(const ParamReader& reader) {
  const double bpp = reader.number("input_bits_per_pixel", 0, 64);
  const int channels = reader.integer("input_channels", 1, 16);
  return bpp / 8.0 / channels;
}

PolicyInfo appealnet_info() {
  PolicyInfo info;
  info.name = "appealnet";
  info.roles = {Role::placement};
  info.summary =
      "AppealNet-like: frames whose estimated difficulty exceeds a threshold go to the cloud whole, the rest "
      "run on the device";
  info.params = {
      {"threshold", "0.6", "difficulty above which a frame is sent to the cloud, [0, 1]"},
      {"difficulty_noise", "0.1",
       "standard deviation of the difficulty estimate around the frame's content complexity (the predictor "
       "head's error), >= 0"},
      {"input_bits_per_pixel", "0",
       "image codec of the uploaded input, bits per pixel (JPEG: 0.75-2, docs/dvfo.md); 0 = the raw input "
       "tensor at the scenario's precision"},
      {"input_channels", "3", "input elements per pixel (3: RGB)"},
  };
  info.make = [params = info.params](const nlohmann::json& p,
                                     const PolicyContext& ctx) -> std::unique_ptr<Policy> {
    const ParamReader reader("policy 'appealnet'", p, params);
    const double threshold = reader.number("threshold", 0, 1);
    const double noise = reader.number("difficulty_noise", 0, 10);
    const double bytes = input_codec_bytes_per_element(reader);
    return std::make_unique<AppealNetLike>(
        threshold, noise, bytes, ctx.seed * 1000003ULL + static_cast<std::uint64_t>(ctx.device) + 17);
  };
  return info;
}

}  // namespace edgetwin::policies
