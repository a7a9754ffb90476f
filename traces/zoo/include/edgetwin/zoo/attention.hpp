#pragma once
/// DVFO's spatial-channel attention (docs/accuracy.md, "Channel split"): a CBAM-style module
/// (Woo et al., "CBAM: Convolutional Block Attention Module", ECCV 2018, arXiv:1807.06521) that
/// refines a feature map with a channel attention and a spatial attention, and from it the
/// importance of each channel: which ones stay on the device and which are offloaded. libtorch
/// only (this target); the simulator sees its effect through the accuracy tables.

#include <cstdint>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace edgetwin::zoo {

class SpatialChannelAttentionImpl : public torch::nn::Module {
 public:
  /// `channels` C of the feature map, the channel MLP's `reduction` r (hidden C / r, at least 1)
  /// and the spatial attention's square kernel (odd).
  SpatialChannelAttentionImpl(std::int64_t channels, std::int64_t reduction = 16,
                              std::int64_t spatial_kernel = 7);
  /// Channel attention Mc = sigmoid(MLP(avgpool x) + MLP(maxpool x)), [N, C], in (0, 1).
  torch::Tensor channel_weights(const torch::Tensor& x);
  /// Spatial attention Ms = sigmoid(conv([mean_c y, max_c y])) of y = x * Mc, [N, 1, H, W].
  torch::Tensor spatial_weights(const torch::Tensor& y);
  /// The refined map x * Mc * Ms, [N, C, H, W] (CBAM's sequential channel-then-spatial order).
  torch::Tensor forward(const torch::Tensor& x);
  /// Importance of each channel, [C]: the mean over the batch and the positions of |refined map|.
  torch::Tensor channel_importance(const torch::Tensor& x);

  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  torch::nn::Conv2d spatial{nullptr};
};
TORCH_MODULE(SpatialChannelAttention);

/// Channel indices by decreasing importance (ties: lower index first).
std::vector<std::int64_t> rank_channels(const torch::Tensor& importance);
/// The channels offloaded at share `share` in [0, 1]: the round(share x C) least important, in
/// increasing importance.
std::vector<std::int64_t> offloaded_channels(const torch::Tensor& importance, double share);

}  // namespace edgetwin::zoo
