import GcCore
