# Copyright (c) hsjp-mmpose contributors.
