#pragma once
/// Builders of the zoo architectures (torchvision / Ultralytics-equivalent structure, random
/// weights). Each returns the network split into its catalog units, in training mode; callers
/// seed torch first (zoo.hpp's build_network does) and switch to eval().

#include "edgetwin/zoo/zoo_model.hpp"

namespace edgetwin::zoo {

ZooNetwork build_resnet18();
ZooNetwork build_resnet50();
ZooNetwork build_mobilenet_v2();
ZooNetwork build_efficientnet_b0();
ZooNetwork build_vgg16();
ZooNetwork build_vit_b_16();
ZooNetwork build_inception_v3();
ZooNetwork build_yolov8n();

}  // namespace edgetwin::zoo
