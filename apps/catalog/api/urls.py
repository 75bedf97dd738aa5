from rest_framework.routers import SimpleRouter

from .views import MovieViewSet, ScreenViewSet, VenueViewSet

router = SimpleRouter()
router.register("movies", MovieViewSet, basename="movie")
router.register("venues", VenueViewSet, basename="venue")
router.register("screens", ScreenViewSet, basename="screen")

urlpatterns = router.urls
